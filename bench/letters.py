"""One-page opinion letters, warm: reportlab (the service's `render_letter`) against fpdf2.

Reuses bench/bench_letters.py (the same letter, the fpdf2 twin of the layout, the one-page and
verification-code check). `python -m bench.letters ROUNDS` prints the medians as JSON.
"""

import json
import sys
from pathlib import Path
from typing import Any

from bench.harness import app_env, run_tool

TARGET_MS = 25.0


def run(workdir: Path, *, rounds: int) -> dict[str, Any]:
    env = app_env(f"sqlite:///{workdir}/letters.sqlite3", workdir)
    result: dict[str, Any] = run_tool("bench.letters", [str(rounds)], env=env, timeout=600)
    return result


def worker_main(rounds: int) -> None:
    from bench.bench_letters import _check, _facts, _median_ms, render, render_fpdf2

    facts = _facts()
    variants = {
        "reportlab": lambda: render.render_letter(facts),
        "fpdf2_ttf": lambda: render_fpdf2(facts, core=False),
        "fpdf2_core": lambda: render_fpdf2(facts, core=True),
    }
    for name, work in variants.items():
        _check(name, work(), facts)
    out: dict[str, Any] = {"rounds": rounds}
    out["qr_ms"] = _median_ms(lambda: render._qr_image(facts.verify_url), rounds)
    out["median_ms"] = {name: _median_ms(work, rounds) for name, work in variants.items()}
    chosen = out["median_ms"]["reportlab"]
    out["ratio_to_reportlab"] = {name: ms / chosen for name, ms in out["median_ms"].items()}
    print(json.dumps(out))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    medians, ratios = results["median_ms"], results["ratio_to_reportlab"]
    return [
        {
            "target": "letter: warm median <= 25 ms per one-page letter (reportlab)",
            "measured": f"{medians['reportlab']:.1f} ms; fpdf2 same TTF {medians['fpdf2_ttf']:.1f} "
            f"ms ({ratios['fpdf2_ttf']:.2f}x), fpdf2 core font {medians['fpdf2_core']:.1f} ms "
            f"({ratios['fpdf2_core']:.2f}x); QR code alone {results['qr_ms']:.1f} ms",
            "met": medians["reportlab"] <= TARGET_MS,
        }
    ]


if __name__ == "__main__":
    worker_main(int(sys.argv[1]))
