"""Which PDF library renders an opinion letter faster: reportlab or fpdf2?

Renders the same one-page letter (French, accented names, conditions, QR code) with:

- reportlab: ``app.letters.render.render_letter`` itself (canvas API, DejaVu/Vera TTF subset);
- fpdf2 with the same TTF font: a twin of the same layout in fpdf2's idiomatic API (multi_cell);
- fpdf2 with its core Helvetica (latin-1 only: "Łukasz" cannot be printed, so it is replaced).

Each variant is checked first (one page, the verification code extractable by pypdf), then timed
warm: one untimed render, then the median of N renders. The QR code (same in every variant) is
timed alone, for scale. Target: the chosen library's median at most 25 ms.

Run: ``.venv/bin/python bench/bench_letters.py [rounds]`` (default 200).
"""

import io
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.letters import render
from app.letters.facts import LetterFacts, Line, letter_lines
from app.letters.verification import new_verification_code

TARGET_MS = 25.0


def _facts() -> LetterFacts:
    code = new_verification_code()
    return LetterFacts(
        reference="IMWU-2026-000123",
        issued_on=date(2026, 3, 2),
        language="fr",
        outcome="positive",
        employer_name="Robotique Lefèvre inc.",
        worker_family_name="Lefèvre-Ångström",
        worker_given_names="Zoë Łukasz",
        worker_date_of_birth=date(1990, 5, 17),
        worker_citizenship="DE",
        passport_number="C01X00T47",
        exemption_code="C10",
        exemption_title="Significant benefit",
        regulation="R205(a)",
        job_title="Ingénieure principale en robotique",
        noc_code="21399",
        location="Montréal, QC",
        period_from=date(2026, 4, 1),
        period_to=date(2027, 3, 31),
        conditions=(
            "Le travailleur présente l'original de l'offre d'emploi signée au point d'entrée.",
            "Le permis de travail est limité à l'employeur et au lieu de travail indiqués.",
        ),
        reasons=(),
        employer_compliance_fee="required",
        fee_exemption_codes=(),
        verification_code=code,
        verify_url=f"https://imwu.example.ca/api/v1/letters/verify/{code}",
    )


def _fpdf_line(pdf: FPDF, line: Line, family: str, core: bool) -> None:
    text = line.text.encode("latin-1", "replace").decode("latin-1") if core else line.text
    label = line.label.encode("latin-1", "replace").decode("latin-1") if core else line.label
    width = pdf.epw
    if line.kind == "title":
        pdf.set_font(family, style="B", size=15)
        pdf.multi_cell(width, 19.5, text, new_x="LMARGIN", new_y="NEXT")
    elif line.kind == "heading":
        pdf.set_font(family, style="B", size=11)
        pdf.ln(9)
        pdf.cell(width, 14.3, text, new_x="LMARGIN", new_y="NEXT")
    elif line.kind == "field":
        pdf.set_font(family, style="B", size=10)
        pdf.cell(render.LABEL_W, 13, label)
        pdf.set_font(family, size=10)
        pdf.multi_cell(width - render.LABEL_W, 13, text, new_x="LMARGIN", new_y="NEXT")
    elif line.kind == "item":
        pdf.set_font(family, size=10)
        pdf.cell(14, 13, "-")
        pdf.multi_cell(width - 14, 13, text, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font(family, size=10)
        pdf.multi_cell(width, 13, text, new_x="LMARGIN", new_y="NEXT")


def render_fpdf2(facts: LetterFacts, *, core: bool) -> bytes:
    """The fpdf2 twin of `render.render_letter` (same lines, sizes, margins and QR code)."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_creation_date(datetime(2026, 3, 2, tzinfo=UTC))
    pdf.set_margins(render.MARGIN, render.MARGIN)
    pdf.set_auto_page_break(True, render.MARGIN + render.FOOTER_H)
    family = "Helvetica" if core else "DejaVu"
    if not core:
        font_regular, font_bold = render._font_paths()
        pdf.add_font("DejaVu", "", font_regular)
        pdf.add_font("DejaVu", "B", font_bold)
    pdf.add_page()
    for line in letter_lines(facts):
        _fpdf_line(pdf, line, family, core)
    pdf.set_auto_page_break(False)
    pdf.image(
        render._qr_image(facts.verify_url),
        x=render.PAGE_W - render.MARGIN - render.QR_SIZE,
        y=render.PAGE_H - render.MARGIN - render.QR_SIZE,
        w=render.QR_SIZE,
    )
    pdf.set_xy(render.MARGIN, render.PAGE_H - render.MARGIN - render.FOOTER_H + 12)
    pdf.set_font(family, style="B", size=11)
    code_line = f"Code de vérification : {facts.verification_code}"
    pdf.cell(0, 14, code_line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=8.5)
    pdf.cell(0, 12, facts.verify_url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _check(name: str, pdf: bytes, facts: LetterFacts) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    ok = len(reader.pages) == 1 and facts.verification_code in text and reader.pages[0].images
    if not ok:
        raise SystemExit(f"{name}: not a one-page letter with its code and QR image")


def _median_ms(work: Callable[[], object], rounds: int) -> float:
    work()  # warm: fonts registered, modules loaded
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    facts = _facts()
    variants: dict[str, Callable[[], bytes]] = {
        "reportlab (TTF)": lambda: render.render_letter(facts),
        "fpdf2 (same TTF)": lambda: render_fpdf2(facts, core=False),
        "fpdf2 (core, latin-1)": lambda: render_fpdf2(facts, core=True),
    }
    for name, work in variants.items():
        _check(name, work(), facts)
    print(f"one-page letter, warm median of {rounds} renders (font: {render._font_paths()[0]})")
    qr_ms = _median_ms(lambda: render._qr_image(facts.verify_url), rounds)
    print(f"  {'QR code alone':24} {qr_ms:7.2f} ms")
    medians = {name: _median_ms(work, rounds) for name, work in variants.items()}
    for name, ms in medians.items():
        print(f"  {name:24} {ms:7.2f} ms")
    chosen = medians["reportlab (TTF)"]
    for name, ms in medians.items():
        if name != "reportlab (TTF)":
            print(f"  {name} / reportlab: {ms / chosen:.1f}x")
    verdict = "meets" if chosen <= TARGET_MS else "MISSES"
    print(f"  reportlab {verdict} the {TARGET_MS:.0f} ms target ({chosen:.2f} ms)")


if __name__ == "__main__":
    main()
