"""Render an IMWU opinion letter as a one-page A4 PDF (pure: no database, no web framework).

Library chosen by measurement (`bench/bench_letters.py`: the same French one-page letter, the same
lines and QR code, warm median of 200 renders, two runs on the development machine):

- reportlab 5.1 (canvas, DejaVu TTF subset): 12.2-12.7 ms, of which ~5 ms is the QR code. Chosen.
- fpdf2 2.8 with the same TTF font: 93-97 ms (7.7x): it parses the font file for every document.
- fpdf2 with its core Helvetica: 13.6-14.1 ms (1.1x), but latin-1 only ("Łukasz" cannot print).

The QR code is passed to reportlab as an in-memory PIL image (no PNG file or round trip).

Fonts: DejaVu Sans from the system when present (Latin, Greek and Cyrillic), otherwise the
Bitstream Vera that ships inside reportlab (Western European Latin and a few more letters such as
"Ł"). Both are embedded as subsets with a ToUnicode map, so every word can be extracted (pypdf).
A character the font cannot draw (e.g. Chinese) is printed as its base letter when Unicode
decomposes it ("ř" -> "r" in Vera), otherwise as "?": the printed name is then an approximation,
but the signed facts (`facts.facts_dict`) keep the exact text, and the verify endpoint shows it.

The output is deterministic for the same facts, fonts and library versions (reportlab's invariant
mode, creation date fixed to the issue date), so a re-rendered letter has the same SHA-256.
"""

import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import qrcode
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.letters.facts import Language, LetterFacts, Line, facts_dict, letter_lines

__all__ = ["LetterFacts", "facts_dict", "render_letter"]

REGULAR = "ImwuSans"
BOLD = "ImwuSans-Bold"
_FONT_FILES: tuple[tuple[str, str], ...] = (
    # (regular, bold): Debian/Ubuntu, Fedora, Alpine, then reportlab's bundled Vera.
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
)

PAGE_W, PAGE_H = A4
MARGIN = 56.7  # 20 mm
LABEL_W = 140.0
FOOTER_H = 104.0
QR_SIZE = 84.0
BODY_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0)  # shrink until the letter fits one page

_FOOTER: dict[str, dict[Language, str]] = {
    "code": {"en": "Verification code: {0}", "fr": "Code de vérification : {0}"},
    "check": {
        "en": "Check this letter and its electronic signature at:",
        "fr": "Vérifiez cette lettre et sa signature électronique à l'adresse :",
    },
    "page": {"en": "{0} - page {1} of {2}", "fr": "{0} - page {1} sur {2}"},
    "author": {
        "en": "International Mobility Workers Unit",
        "fr": "Unité pour la mobilité internationale des travailleurs",
    },
}


@dataclass(frozen=True)
class _Row:
    """One printed line after wrapping; `gap` is the space above it, `label` a bold label."""

    text: str
    font: str
    size: float
    gap: float
    indent: float = 0.0
    label: str = ""

    @property
    def advance(self) -> float:
        return self.gap + self.size * 1.3


@cache
def _fonts() -> frozenset[int]:
    """Register the letter fonts once per process; returns the code points they can draw."""
    regular, bold = _font_paths()
    pdfmetrics.registerFont(TTFont(REGULAR, regular))
    pdfmetrics.registerFont(TTFont(BOLD, bold))
    faces = (pdfmetrics.getFont(name).face for name in (REGULAR, BOLD))
    return frozenset.intersection(*(frozenset(face.charToGlyph) for face in faces))


def _font_paths() -> tuple[str, str]:
    for regular, bold in _FONT_FILES:
        bold_path = Path(regular).with_name(bold)
        if Path(regular).is_file() and bold_path.is_file():
            return regular, str(bold_path)
    return "Vera.ttf", "VeraBd.ttf"  # found on reportlab's own font path


def printable(text: str) -> str:
    """`text` with each character the letter font lacks replaced by its base letter or "?"."""
    covered = _fonts()
    if all(ord(ch) in covered for ch in text):
        return text
    out: list[str] = []
    for ch in text:
        if ord(ch) in covered:
            out.append(ch)
            continue
        base = "".join(
            part
            for part in unicodedata.normalize("NFKD", ch)
            if ord(part) in covered and not unicodedata.combining(part)
        )
        out.append(base or "?")
    return "".join(out)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break at spaces; a word wider than the line (a long URL) is cut between characters."""
    out: list[str] = []
    for line in simpleSplit(printable(text), font, size, width) or [""]:
        while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def _rows(line: Line, size: float) -> Iterator[_Row]:
    width = PAGE_W - 2 * MARGIN
    if line.kind == "title":
        for part in _wrap(line.text, BOLD, size + 5, width):
            yield _Row(part, BOLD, size + 5, 0.0)
        yield _Row("", REGULAR, 0.0, size * 0.5)  # space under the title
    elif line.kind == "heading":
        yield _Row(printable(line.text), BOLD, size + 1, size * 0.9)
    elif line.kind == "field":
        parts = _wrap(line.text, REGULAR, size, width - LABEL_W)
        yield _Row(parts[0], REGULAR, size, 0.0, LABEL_W, printable(line.label))
        for part in parts[1:]:
            yield _Row(part, REGULAR, size, 0.0, LABEL_W)
    elif line.kind == "item":
        parts = _wrap(line.text, REGULAR, size, width - 14)
        yield _Row(parts[0], REGULAR, size, size * 0.2, 14, "\u2022")
        for part in parts[1:]:
            yield _Row(part, REGULAR, size, 0.0, 14)
    else:  # "meta" and "text"
        gap = size * 0.5 if line.kind == "text" else 0.0
        for i, part in enumerate(_wrap(line.text, REGULAR, size, width)):
            yield _Row(part, REGULAR, size, gap if i == 0 else 0.0)


def _pages(lines: tuple[Line, ...]) -> list[list[_Row]]:
    """Wrap at the largest body size that fits one page; past the smallest, continue overleaf."""
    available = PAGE_H - 2 * MARGIN - FOOTER_H
    for size in BODY_SIZES:
        rows = [row for line in lines for row in _rows(line, size)]
        if sum(row.advance for row in rows) <= available:
            return [rows]
    pages: list[list[_Row]] = [[]]
    used = 0.0
    for row in rows:
        if used + row.advance > available:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row.advance
    return pages


def _draw_body(canvas: Canvas, rows: list[_Row]) -> None:
    y = PAGE_H - MARGIN
    for row in rows:
        y -= row.advance
        if row.label:
            label_font = REGULAR if row.label == "\u2022" else BOLD
            canvas.setFont(label_font, row.size)
            canvas.drawString(MARGIN + (4 if label_font == REGULAR else 0), y, row.label)
        canvas.setFont(row.font, row.size)
        canvas.drawString(MARGIN + row.indent, y, row.text)


def _qr_image(url: str) -> Image.Image:
    """The QR code of `url`, one pixel per module with the standard 4-module quiet zone."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    image: Image.Image = qr.make_image().get_image()
    return image.convert("L")


def _draw_footer(
    canvas: Canvas, facts: LetterFacts, qr: ImageReader, page: tuple[int, int]
) -> None:
    lang = facts.language
    top = MARGIN + FOOTER_H - 12
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, top + 6, PAGE_W - MARGIN, top + 6)
    canvas.drawImage(qr, PAGE_W - MARGIN - QR_SIZE, MARGIN, QR_SIZE, QR_SIZE)
    width = PAGE_W - 2 * MARGIN - QR_SIZE - 12
    y = top - 12
    canvas.setFont(BOLD, 11)
    canvas.drawString(MARGIN, y, _FOOTER["code"][lang].format(facts.verification_code))
    canvas.setFont(REGULAR, 8.5)
    for text in [_FOOTER["check"][lang], *_wrap(facts.verify_url, REGULAR, 8.5, width)]:
        y -= 12
        canvas.drawString(MARGIN, y, printable(text))
    page_line = _FOOTER["page"][lang].format(facts.reference, *page)
    canvas.drawString(MARGIN, MARGIN, printable(page_line))


def _pdf_date(day: date) -> str:
    return f"D:{day:%Y%m%d}000000+00'00'"


def render_letter(facts: LetterFacts) -> bytes:
    """The letter as PDF bytes: one A4 page (unless dozens of conditions push it overleaf), in
    `facts.language`, with the verification code and a QR code of `facts.verify_url`."""
    _fonts()
    lang = facts.language
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, lang=f"{lang}-CA", pageCompression=1)
    canvas.setDateFormatter(lambda *_: _pdf_date(facts.issued_on))
    canvas.setTitle(f"{facts.reference} ({facts.verification_code})")
    canvas.setAuthor(_FOOTER["author"][lang])
    lines = letter_lines(facts)
    canvas.setSubject(lines[0].text)
    canvas.setCreator("imwu-intake")
    qr = ImageReader(_qr_image(facts.verify_url))
    pages = _pages(lines)
    for number, rows in enumerate(pages, start=1):
        _draw_body(canvas, rows)
        _draw_footer(canvas, facts, qr, (number, len(pages)))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
