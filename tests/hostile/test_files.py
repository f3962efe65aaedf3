"""Hostile files uploaded to a draft: each is refused with its exact problem, echoes nothing,
stores nothing, leaves the budget whole and the service healthy.

Scripts and launch actions in PDFs are REFUSED, not accepted and flagged: `422
document_unreadable` with reason `active_content`. IMWU's documents are scans, letters and offers,
which never need to run anything, and a stored PDF is opened by reviewers, whose viewer would run
it. The check walks every object reachable from the catalog, so names written with hex escapes
(`/J#61vaScript`) and actions chained behind a harmless one (`/Next`) are found too.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests import builders
from tests.hostile import corpus
from tests.hostile.checks import assert_nothing_stored, assert_problem
from tests.hostile.corpus import CANARY
from tests.intake.scenarios import upload


@dataclass(frozen=True)
class Hostile:
    build: Callable[[], bytes]
    extension: str
    status: int
    code: str
    reason: str
    content_type: str = "application/octet-stream"


def _unreadable(build: Callable[[], bytes], extension: str, reason: str) -> Hostile:
    return Hostile(build, extension, 422, "document_unreadable", reason)


def _unsupported(
    build: Callable[[], bytes], extension: str = ".pdf", reason: str = "not_pdf_jpeg_png"
) -> Hostile:
    return Hostile(build, extension, 415, "unsupported_media_type", reason)


def _pdf_after(prefix: bytes) -> Callable[[], bytes]:
    return lambda: builders.make_pdf_not_at_start(prefix)


CASES = {
    # Damaged or empty.
    "empty_file": _unreadable(lambda: b"", ".pdf", "empty"),
    "truncated_pdf": _unreadable(
        lambda: builders.truncated(builders.make_pdf(), 400), ".pdf", "truncated"
    ),
    "pdf_header_only": _unreadable(lambda: b"%PDF-1.7\n", ".pdf", "truncated"),
    "truncated_jpeg": _unreadable(corpus.truncated_jpeg, ".jpg", "truncated"),
    "truncated_png": _unreadable(corpus.truncated_png, ".png", "truncated"),
    "png_bad_crc": _unreadable(corpus.png_bad_crc, ".png", "corrupt"),
    "png_zero_size": _unreadable(lambda: corpus.png_declaring(0, 0), ".png", "corrupt"),
    # PDFs built to hang, exhaust or crash a parser.
    "pdf_xref_prev_points_to_itself": _unreadable(corpus.pdf_xref_self_loop, ".pdf", "corrupt"),
    "pdf_xref_prev_two_cycle": _unreadable(corpus.pdf_xref_two_cycle, ".pdf", "corrupt"),
    "pdf_page_tree_cycle": _unreadable(corpus.pdf_page_tree_cycle, ".pdf", "corrupt"),
    "pdf_array_nested_100k_deep": _unreadable(corpus.pdf_deep_array, ".pdf", "corrupt"),
    "pdf_stream_length_1tb": _unreadable(corpus.pdf_huge_declared_length, ".pdf", "corrupt"),
    "pdf_flate_in_flate_bomb": _unreadable(builders.make_pdf_bomb, ".pdf", "limit_exceeded"),
    "pdf_10000_pages": _unreadable(corpus.pdf_many_pages, ".pdf", "too_many_pages"),
    "pdf_no_pages": _unreadable(corpus.pdf_no_pages, ".pdf", "no_pages"),
    "pdf_encrypted_empty_user_password": _unreadable(
        builders.make_encrypted_pdf, ".pdf", "encrypted_pdf"
    ),
    "pdf_then_zip_appended": _unreadable(corpus.pdf_then_zip, ".pdf", "truncated"),
    # PDFs that would run something in a reviewer's viewer.
    "pdf_open_action_javascript": _unreadable(
        corpus.pdf_open_action_javascript, ".pdf", "active_content"
    ),
    "pdf_open_action_launch": _unreadable(corpus.pdf_open_action_launch, ".pdf", "active_content"),
    "pdf_names_tree_javascript": _unreadable(corpus.pdf_names_javascript, ".pdf", "active_content"),
    "pdf_page_open_javascript": _unreadable(
        corpus.pdf_page_additional_action, ".pdf", "active_content"
    ),
    "pdf_link_annotation_launch": _unreadable(corpus.pdf_link_launch, ".pdf", "active_content"),
    "pdf_hex_escaped_javascript": _unreadable(
        corpus.pdf_hex_escaped_javascript, ".pdf", "active_content"
    ),
    "pdf_javascript_behind_goto": _unreadable(
        corpus.pdf_chained_javascript, ".pdf", "active_content"
    ),
    # Polyglots and PDFs that do not start at byte 0.
    "zip_pdf_polyglot": _unsupported(builders.make_zip_pdf_polyglot),
    "html_pdf_polyglot": _unsupported(builders.make_html_pdf_polyglot),
    "pdf_after_whitespace": _unsupported(_pdf_after(b"\n\n   ")),
    "pdf_after_utf8_bom": _unsupported(_pdf_after(b"\xef\xbb\xbf")),
    "pdf_after_1000_bytes": _unsupported(_pdf_after(b"A" * 1000)),
    # Images built to exhaust memory.
    "jpeg_bomb_65500x65500": _unreadable(
        lambda: corpus.jpeg_declaring(65_500, 65_500), ".jpg", "pixel_limit"
    ),
    "jpeg_over_40_megapixels": _unreadable(
        lambda: corpus.jpeg_declaring(8_000, 6_000), ".jpg", "pixel_limit"
    ),
    "png_bomb_10_gigapixels": _unreadable(builders.make_png_bomb, ".png", "pixel_limit"),
    "png_declaring_2g_by_2g": _unreadable(
        lambda: corpus.png_declaring(2**31 - 1, 2**31 - 1), ".png", "pixel_limit"
    ),
    # Accepted types claiming to be another accepted type.
    "jpeg_named_png": _unsupported(builders.make_jpeg, ".png", "type_mismatch"),
    "png_sent_as_application_pdf": Hostile(
        builders.make_png, ".png", 415, "unsupported_media_type", "type_mismatch", "application/pdf"
    ),
    # Renamed executables and scripts.
    "elf_named_pdf": _unsupported(builders.make_elf),
    "windows_pe_named_pdf": _unsupported(builders.make_windows_exe),
    "mach_o_named_pdf": _unsupported(corpus.mach_o),
    "mach_o_universal_named_pdf": _unsupported(corpus.mach_o_universal),
    "shell_script_named_pdf": _unsupported(corpus.shell_script),
    "html_named_pdf": _unsupported(corpus.html_page),
    # Real images and documents of types the service does not take.
    "svg_with_script": _unsupported(builders.make_svg, ".svg"),
    "heic": _unsupported(corpus.heic, ".heic"),
    "avif": _unsupported(corpus.avif, ".avif"),
    "tiff": _unsupported(builders.make_tiff, ".tif"),
    "gif": _unsupported(builders.make_gif, ".gif"),
    "webp": _unsupported(lambda: corpus.pillow_image("WEBP"), ".webp"),
    "bmp": _unsupported(lambda: corpus.pillow_image("BMP"), ".bmp"),
    "plain_text_named_pdf": _unsupported(lambda: b"Offer of employment\n"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_hostile_file_is_refused_and_leaves_no_trace(
    client: TestClient, rep: dict[str, str], request_id: str, case: Hostile
) -> None:
    response = upload(
        client,
        rep,
        request_id,
        "job_offer",
        case.build(),
        filename=f"{CANARY}{case.extension}",
        content_type=case.content_type,
    )

    assert_problem(response, status=case.status, code=case.code, reason=case.reason)
    assert_nothing_stored(client, rep, request_id)


CONTROLS = {
    "plain_letter": builders.make_pdf,
    "letter_with_web_link": corpus.pdf_link_uri,
    "incrementally_updated": corpus.pdf_incrementally_updated,
}


@pytest.mark.parametrize("build", CONTROLS.values(), ids=CONTROLS.keys())
def test_ordinary_pdfs_still_pass(
    client: TestClient, rep: dict[str, str], request_id: str, build: Callable[[], bytes]
) -> None:
    """The controls: the same path accepts a letter; a web link is not active content, and a
    /Prev chain that ends is not a loop."""
    response = upload(client, rep, request_id, "job_offer", build())
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "application/pdf"
