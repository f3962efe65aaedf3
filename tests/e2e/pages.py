"""What a person does on the client's pages, as small functions the end-to-end tests compose."""

import io
import re
from pathlib import Path
from typing import Any

from PIL import Image

from tests.e2e.conftest import SCREENSHOTS

SERIOUS = {"serious", "critical"}


def control_id(path: str) -> str:
    return "#f-" + path.replace(".", "-")


def sign_in(page: Any, base_url: str, token: str, lang: str) -> None:
    """Open the client, choose the language with the switch, and sign in with the token."""
    page.goto(f"{base_url}/")
    page.wait_for_selector("#token")
    set_language(page, lang)
    page.fill("#token", token)
    page.click("#signin-submit")
    page.wait_for_selector("#new-request, #claim-next")


def set_language(page: Any, lang: str) -> None:
    if page.get_attribute("html", "lang") != lang:
        page.click("#lang-toggle")
    page.wait_for_selector(f"html[lang={lang}]")


def step(page: Any, step_id: str) -> None:
    """Press "Save and continue" and wait for the step `step_id`."""
    page.click("#next-step")
    page.wait_for_url(re.compile(f"/edit/{step_id}$"))
    page.wait_for_selector("#step-title")


def fill_fields(page: Any, values: dict[str, Any]) -> None:
    """Fill controls by field path: text is typed, choices are picked, booleans are answered."""
    for path, value in values.items():
        selector = control_id(path)
        if value is None or value == []:
            continue
        tag = page.eval_on_selector(selector, "el => el.tagName + ':' + (el.type || '')")
        if tag.startswith("SELECT"):
            page.select_option(selector, value)
        elif tag == "INPUT:radio":
            option = value if not isinstance(value, bool) else str(value).lower()
            first = page.get_attribute(selector, "value")
            page.check(selector if first == option else f"{selector}-{option}")
        elif tag == "INPUT:checkbox":
            page.set_checked(selector, bool(value))
        else:
            page.fill(selector, str(value))


def flatten(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def upload(page: Any, kind: str, file: Path) -> None:
    """Choose a file for a checklist row and wait until the row ticks itself."""
    page.set_input_files(f"#upload-{kind}", str(file))
    page.wait_for_selector(f"li.checklist-item.is-present[data-kind={kind}]")


def screenshot(page: Any, name: str, *, top: bool = True) -> None:
    """A viewport-sized PNG under SCREENSHOTS (docs/screenshots/ when refreshed on purpose), from the top of
    the page unless `top` is False (then where the page is scrolled to)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(150)
    shot = Image.open(io.BytesIO(page.screenshot()))
    # 256 colours are plenty for these flat pages and keep the committed files small.
    shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        SCREENSHOTS / f"{name}.png", optimize=True
    )


def check_accessibility(page: Any, name: str) -> None:
    """axe-core on the page as it stands: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(
            " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
            for n in v["nodes"][:5]
        )
        for v in bad
    )
    assert not bad, f"accessibility violations on {name}:\n{report}"


def visit(page: Any, name: str, *, top: bool = True) -> None:
    """Check a page and keep its picture."""
    check_accessibility(page, name)
    screenshot(page, name, top=top)
