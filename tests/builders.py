"""Real files for tests: PDFs pypdf can read, images Pillow can decode, and hostile look-alikes.

Every builder is deterministic (same arguments, same bytes) so a failing test can be replayed,
and none needs an external tool. PDFs are written by hand so that the bytes are exactly what a
test expects (offsets, `%PDF-` at byte 0), whatever pypdf's writer happens to do.
"""

import functools
import io
import random
import struct
import zipfile
import zlib

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

DEFAULT_TEXT = "Job offer: Welder, Winnipeg, Manitoba, NOC 72106"

_XREF_ENTRY = b"%010d 00000 n \n"


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (what a standard Helvetica font shows), escaped."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _stream(dictionary: bytes, data: bytes) -> bytes:
    """A stream object body whose /Length matches its data."""
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def _assemble_pdf(objects: list[bytes], *, header: bytes = b"%PDF-1.7\n") -> bytes:
    """Number `objects` from 1 (1 is the catalog) and add an xref table with exact offsets."""
    out = bytearray(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(_XREF_ENTRY % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _page_content(lines: list[str], footer: str) -> bytes:
    """A content stream drawing `lines` top-down in 11 pt Helvetica, then a footer line."""
    ops = [b"BT /F1 11 Tf 14 TL 72 760 Td"]
    for line in [*lines, footer]:
        ops.append(_pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def make_pdf(text_lines: list[str] | str = DEFAULT_TEXT, pages: int = 1) -> bytes:
    """A real Letter-size PDF: every page shows `text_lines`, then ``Page k of n``."""
    lines = text_lines.splitlines() if isinstance(text_lines, str) else text_lines
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    page_refs = [b"%d 0 R" % (4 + 2 * i) for i in range(pages)]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(page_refs), pages),
        font,
    ]
    for i in range(pages):
        content_number = 5 + 2 * i
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_number
        )
        objects.append(_stream(b"", _page_content(lines, f"Page {i + 1} of {pages}")))
    return _assemble_pdf(objects)


def pad_pdf_to(data: bytes, size: int) -> bytes:
    """`data` grown to exactly `size` bytes by a comment placed just before its last xref section.

    Objects keep their offsets; only the ``startxref`` number moves, and its digit count is
    settled by iterating. Works for any PDF whose last ``startxref`` points at the end of its body
    (every file these builders write).
    """
    marker = data.rindex(b"startxref")
    xref_at = int(data[marker + len(b"startxref") :].split()[0])
    body, xref_section = data[:xref_at], data[xref_at:marker]
    for digits in range(1, 16):
        fixed = len(body) + len(b"%\n") + len(xref_section) + len(b"startxref\n\n%%EOF\n")
        filler = size - fixed - digits
        new_xref_at = len(body) + len(b"%\n") + filler
        if filler >= 0 and len(str(new_xref_at)) == digits:
            padding = b"%" + b"x" * filler + b"\n"
            return body + padding + xref_section + b"startxref\n%d\n%%%%EOF\n" % new_xref_at
    raise ValueError("size is smaller than the PDF")


def make_jpeg(
    width: int = 64, height: int = 48, *, noise: bool = False, quality: int = 85
) -> bytes:
    """A baseline RGB JPEG; `noise` fills it with seeded random pixels (large, photo-like files)."""
    return _encode(_picture(width, height, noise=noise), "JPEG", quality=quality)


def make_png(width: int = 64, height: int = 48, *, noise: bool = False) -> bytes:
    """An RGB PNG; `noise` fills it with seeded random pixels so it does not compress."""
    return _encode(_picture(width, height, noise=noise), "PNG")


def make_gif(width: int = 8, height: int = 8) -> bytes:
    """A GIF: a real image format the service does not accept."""
    return _encode(_picture(width, height, noise=False), "GIF")


def make_tiff(width: int = 8, height: int = 8) -> bytes:
    """A TIFF: what some scanners produce, not accepted."""
    return _encode(_picture(width, height, noise=False), "TIFF")


def make_svg() -> bytes:
    """An SVG with a script: text that browsers render as an active document."""
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>\n"
    )


def _picture(width: int, height: int, *, noise: bool) -> Image.Image:
    if noise:
        pixels = random.Random(width * 65_537 + height).randbytes(width * height * 3)
        return Image.frombytes("RGB", (width, height), pixels)
    return Image.linear_gradient("L").resize((width, height)).convert("RGB")


def _encode(image: Image.Image, image_format: str, **options: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


class _FixedIdWriter(PdfWriter):
    """pypdf draws random file identifiers (which RC4 keys derive from); fixed ones keep builders
    deterministic."""

    def generate_file_identifiers(self) -> None:
        self._ID = ArrayObject([ByteStringObject(b"imwu-tests-fixed")] * 2)


def make_encrypted_pdf() -> bytes:
    """A PDF encrypted with an EMPTY user password: any viewer opens it without asking."""
    writer = _FixedIdWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_zip_pdf_polyglot() -> bytes:
    """A ZIP archive whose first member is a PDF: lenient parsers find the PDF inside."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("offer.pdf", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, make_pdf())
        archive.writestr(zipfile.ZipInfo("run.sh", date_time=(2026, 1, 1, 0, 0, 0)), "echo hi\n")
    return out.getvalue()


def make_html_pdf_polyglot() -> bytes:
    """An HTML page with a PDF after it: a browser sniffs HTML, a lenient PDF parser finds a PDF."""
    return b"<html><body><script>alert(1)</script></body></html>\n" + make_pdf()


def make_pdf_not_at_start(prefix: bytes = b"\n\n   ") -> bytes:
    """A PDF with bytes before `%PDF-` (allowed by some viewers within 1 KB, refused here)."""
    return prefix + make_pdf()


@functools.cache
def make_pdf_bomb(inflated_mb: int = 300) -> bytes:
    """A one-page PDF whose content stream is FlateDecode inside FlateDecode.

    The inner layer is `inflated_mb` MB of spaces (valid, empty-looking page content); its deflate
    stream is itself very repetitive, so the outer layer shrinks it to a few KB. Cached: building
    it deflates the whole payload once.
    """
    inner = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    inner_data = b"".join(inner.compress(chunk) for _ in range(inflated_mb)) + inner.flush()
    outer_data = zlib.compress(inner_data, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        _stream(b"/Filter [/FlateDecode /FlateDecode]", outer_data),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _assemble_pdf(objects)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def make_png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG declaring `width` x `height` grey pixels (10 gigapixels by default) in a few bytes.

    Its single IDAT holds only the first rows; a decoder that trusted the header would allocate
    the whole image before noticing.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def make_elf() -> bytes:
    """The first bytes of a 64-bit little-endian Linux executable."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44


def make_windows_exe() -> bytes:
    """An MZ/PE header, as any Windows executable starts."""
    dos = bytearray(b"MZ" + b"\x00" * 62)
    dos[0x3C:0x40] = struct.pack("<I", 64)
    return bytes(dos) + b"PE\x00\x00" + b"\x00" * 20


def truncated(data: bytes, n: int) -> bytes:
    """The first `n` bytes of `data`, as an interrupted upload leaves it."""
    return data[:n]
