"""Inspection decides a file's type from its content and refuses hostile or unusable files."""

import os
import resource
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.documents import inspection, sandbox
from app.documents.inspection import (
    DocumentUnreadable,
    Inspection,
    MediaType,
    UnsupportedMediaType,
    inspect_bytes,
)
from app.documents.sandbox import inspect_file
from tests import builders


@pytest.fixture(scope="module", autouse=True)
def _stop_helpers() -> Iterator[None]:
    yield
    sandbox.shutdown()


@pytest.fixture
def upload(tmp_path: Path) -> Callable[[bytes], Path]:
    """Write bytes where an upload would be spooled; return the path."""

    def write(data: bytes) -> Path:
        path = tmp_path / "upload.bin"
        path.write_bytes(data)
        return path

    return write


class TestAcceptedFiles:
    def test_pdf_gives_pages_and_text(self) -> None:
        result = inspect_bytes(builders.make_pdf(["Welder", "Winnipeg, MB", "NOC 72106"], pages=2))

        assert result == Inspection(
            media_type=MediaType.PDF,
            pages=2,
            width=None,
            height=None,
            text="Welder\nWinnipeg, MB\nNOC 72106\nPage 1 of 2\n\n"
            "Welder\nWinnipeg, MB\nNOC 72106\nPage 2 of 2\n",
        )

    def test_text_comes_from_the_first_five_pages_only(self) -> None:
        result = inspect_bytes(builders.make_pdf("Offer", pages=7))

        assert result.pages == 7
        assert result.text is not None
        assert "Page 5 of 7" in result.text
        assert "Page 6 of 7" not in result.text

    def test_text_is_capped(self) -> None:
        lines = ["x" * 200] * 300  # 60,000 characters a page, five pages read

        result = inspect_bytes(builders.make_pdf(lines, pages=5))

        assert result.text is not None
        assert len(result.text) == inspection.MAX_TEXT_CHARS

    def test_padded_pdf_keeps_its_exact_size_and_reads(self) -> None:
        data = builders.pad_pdf_to(builders.make_pdf("Padded"), 100_003)

        assert len(data) == 100_003
        assert inspect_bytes(data).text == "Padded\nPage 1 of 1\n"

    def test_jpeg_gives_its_size(self) -> None:
        assert inspect_bytes(builders.make_jpeg(64, 48)) == Inspection(
            media_type=MediaType.JPEG, pages=None, width=64, height=48, text=None
        )

    def test_png_gives_its_size(self) -> None:
        assert inspect_bytes(builders.make_png(30, 20)) == Inspection(
            media_type=MediaType.PNG, pages=None, width=30, height=20, text=None
        )

    def test_pdf_with_2000_pages_is_accepted(self) -> None:
        assert inspect_bytes(builders.make_pdf("p", pages=inspection.MAX_PAGES)).pages == 2000


class TestUnsupportedContent:
    @pytest.mark.parametrize(
        "build",
        [
            builders.make_zip_pdf_polyglot,
            builders.make_html_pdf_polyglot,
            builders.make_pdf_not_at_start,
            builders.make_elf,
            builders.make_windows_exe,
            builders.make_gif,
            builders.make_tiff,
            builders.make_svg,
        ],
    )
    def test_is_refused_as_not_pdf_jpeg_png(self, build: Callable[[], bytes]) -> None:
        with pytest.raises(UnsupportedMediaType) as refused:
            inspect_bytes(build())

        assert refused.value.reason == "not_pdf_jpeg_png"

    def test_executable_named_pdf_is_refused_for_its_content(self) -> None:
        with pytest.raises(UnsupportedMediaType) as refused:
            inspect_bytes(
                builders.make_elf(),
                declared_content_type="application/pdf",
                declared_name="offer.pdf",
            )

        assert refused.value.reason == "not_pdf_jpeg_png"


class TestUnreadableDocuments:
    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            pytest.param(b"", "empty", id="empty"),
            pytest.param(builders.make_encrypted_pdf(), "encrypted_pdf", id="encrypted"),
            pytest.param(builders.truncated(builders.make_pdf(), 500), "truncated", id="pdf-cut"),
            pytest.param(builders.truncated(builders.make_jpeg(), 400), "truncated", id="jpeg-cut"),
            pytest.param(builders.truncated(builders.make_png(), 100), "truncated", id="png-cut"),
            pytest.param(builders.make_png_bomb(), "pixel_limit", id="png-bomb"),
            pytest.param(builders.make_png_bomb(7000, 6000), "pixel_limit", id="png-42mp"),
            pytest.param(b"%PDF-1.7\ngarbage\n%%EOF\n", "corrupt", id="pdf-garbage"),
            pytest.param(builders.make_pdf(pages=0), "no_pages", id="0-pages"),
            pytest.param(builders.make_pdf(pages=2001), "too_many_pages", id="2001-pages"),
        ],
    )
    def test_is_refused_with_its_reason(self, data: bytes, reason: str) -> None:
        with pytest.raises(DocumentUnreadable) as refused:
            inspect_bytes(data)

        assert refused.value.reason == reason

    def test_pdf_bomb_stops_at_the_lowered_decompression_limit(self) -> None:
        with pytest.raises(DocumentUnreadable) as refused:
            inspect_bytes(builders.make_pdf_bomb())

        assert refused.value.reason == "limit_exceeded"

    def test_refusal_carries_only_its_reason(self) -> None:
        data = builders.truncated(builders.make_pdf("Passport AB123456"), 400) + b"\n%%EOF\n"

        with pytest.raises(DocumentUnreadable) as refused:
            inspect_bytes(data)

        assert str(refused.value) == "corrupt"
        assert refused.value.__cause__ is None
        assert refused.value.__context__ is None


class TestDeclaredType:
    @pytest.mark.parametrize(
        ("build", "content_type", "name"),
        [
            (builders.make_jpeg, "application/pdf", None),
            (builders.make_jpeg, "image/png", "scan.png"),
            (builders.make_jpeg, None, "scan.PNG"),
            (builders.make_png, "application/octet-stream", "photo.jpeg"),
            (builders.make_png, "image/jpeg; charset=binary", None),
            (builders.make_pdf, "application/pdf", "scan.png"),  # the claims disagree
        ],
    )
    def test_claim_of_another_accepted_type_is_a_mismatch(
        self, build: Callable[[], bytes], content_type: str | None, name: str | None
    ) -> None:
        with pytest.raises(UnsupportedMediaType) as refused:
            inspect_bytes(build(), declared_content_type=content_type, declared_name=name)

        assert refused.value.reason == "type_mismatch"

    @pytest.mark.parametrize(
        ("content_type", "name"),
        [
            (None, None),
            ("application/octet-stream", None),
            ("text/plain", "photo.bin"),
            ("image/jpeg", "C:\\Users\\me\\photo.JPG"),
            ("image/jpg", "photo.jpg."),
        ],
    )
    def test_matching_or_empty_claims_are_accepted(
        self, content_type: str | None, name: str | None
    ) -> None:
        result = inspect_bytes(
            builders.make_jpeg(), declared_content_type=content_type, declared_name=name
        )

        assert result.media_type is MediaType.JPEG


class TestInspectFileInChildProcess:
    def test_pdf_is_inspected_like_in_process(self, upload: Callable[[bytes], Path]) -> None:
        data = builders.make_pdf("Offer", pages=3)

        result = inspect_file(
            upload(data), declared_content_type="application/pdf", declared_name=None
        )

        assert result == inspect_bytes(data)

    def test_png_gives_its_size(self, upload: Callable[[bytes], Path]) -> None:
        result = inspect_file(
            upload(builders.make_png(40, 30)), declared_content_type=None, declared_name="a.png"
        )

        assert (result.media_type, result.width, result.height) == (MediaType.PNG, 40, 30)

    def test_refusal_reaches_the_caller(self, upload: Callable[[bytes], Path]) -> None:
        with pytest.raises(DocumentUnreadable) as refused:
            inspect_file(
                upload(builders.make_encrypted_pdf()),
                declared_content_type=None,
                declared_name=None,
            )

        assert refused.value.reason == "encrypted_pdf"

    def test_mismatch_is_refused_before_any_child(self, upload: Callable[[bytes], Path]) -> None:
        with pytest.raises(UnsupportedMediaType) as refused:
            inspect_file(
                upload(builders.make_png()), declared_content_type=None, declared_name="offer.pdf"
            )

        assert refused.value.reason == "type_mismatch"

    def test_bomb_costs_this_process_no_memory(self, upload: Callable[[bytes], Path]) -> None:
        path = upload(builders.make_pdf_bomb())
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        with pytest.raises(DocumentUnreadable) as refused:
            inspect_file(path, declared_content_type=None, declared_name=None)

        assert refused.value.reason == "limit_exceeded"
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
        assert grown_kib < 20 * 1024

    def test_child_over_its_memory_limit_is_refused(self, upload: Callable[[bytes], Path]) -> None:
        path = upload(builders.make_png(5000, 5000))  # 75 MB once decoded

        with pytest.raises(DocumentUnreadable) as refused:
            inspect_file(
                path,
                declared_content_type=None,
                declared_name=None,
                memory_limit_bytes=100 * inspection.MIB,
            )

        assert refused.value.reason == "resource_limit"
        assert inspect_file(path, declared_content_type=None, declared_name=None).width == 5000

    def test_child_over_its_cpu_time_is_refused(self, upload: Callable[[bytes], Path]) -> None:
        path = upload(builders.make_pdf("busy", pages=300))

        with pytest.raises(DocumentUnreadable) as refused:
            inspect_file(path, declared_content_type=None, declared_name=None, cpu_seconds=0)

        assert refused.value.reason == "resource_limit"

    def test_child_over_its_time_is_refused(self, upload: Callable[[bytes], Path]) -> None:
        path = upload(builders.make_pdf("slow", pages=300))

        with pytest.raises(DocumentUnreadable) as refused:
            inspect_file(path, declared_content_type=None, declared_name=None, timeout_s=0.001)

        assert refused.value.reason == "timeout"

    def test_killed_helper_is_replaced(self, upload: Callable[[bytes], Path]) -> None:
        path = upload(builders.make_jpeg())
        sandbox.warm_up()
        for helper in list(sandbox._HELPERS._idle):
            os.kill(helper._process.pid, signal.SIGKILL)
            helper._process.wait()

        result = inspect_file(path, declared_content_type=None, declared_name=None)

        assert result.media_type is MediaType.JPEG
