"""Accessibility checks with axe-core, vendored for the tests only (tests/browser/vendor, never served to users).

The script goes in through Playwright's `page.evaluate` (the DevTools protocol), so the app's CSP
(`script-src 'self'`) stays switched on in the browser and the journeys still prove the pages work under it.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

AXE_VERSION = "4.10.3"
AXE_FILE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
_CSRF = re.compile(r"(csrf_token=)[^&]+")

# Every page (state) checked in this test run, with the violations that did not fail it (moderate, minor):
# conftest writes them to test-results/axe-report.json, so a reviewer can see what was covered and what is left.
CHECKED: list[dict[str, Any]] = []

# Every kind of page a module's journeys opened (conftest records each HTML document the browser loads) and every
# kind assert_accessible checked: conftest fails a module that opened a page it never checked, so a page added
# later is covered without adding it to a list.
VISITED_KINDS: dict[str, str] = {}  # kind -> the first URL seen
CHECKED_KINDS: set[str] = set()
# Origins whose pages are not the app's (the test OpenID providers' login pages): neither recorded nor checked.
FOREIGN_ORIGINS: set[str] = set()
# Every kind checked in the whole run (never cleared): what the accessibility statement (/toegankelijkheid) lists.
ALL_CHECKED_KINDS: set[str] = set()
# Row ids, tokens (personal links, reset links) and eindterm codes (IA-b, M-7): the route, not the instance.
_ID = re.compile(r"/(\d+|[A-Za-z0-9_-]{20,}|[A-Z]{1,3}-[0-9a-z]{1,3})(?=/|$)")


def page_kind(url: str) -> str:
    """`/studenten/12/eindtermen/IA-a?x=1` -> `/studenten/{}/eindtermen/IA-a`: the route, not the instance."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0].split("#", 1)[0]
    return _ID.sub("/{}", path) or "/"


@cache
def _axe_source() -> str:
    return AXE_FILE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe (WCAG 2.0/2.1 A and AA rules) on the page as it is now; return its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
        assert page.evaluate("window.axe.version") == AXE_VERSION
    result = page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
            const r = await window.axe.run(document, options);
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, impact: n.impact, summary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )
    return list(result)


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            summary = " ".join((node.get("summary") or "").split())
            lines.append(f"    {json.dumps(node['target'])}: {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def _scheme(page: Any) -> str:
    return "dark" if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") else "light"


# What overflows the page sideways: elements reaching past the viewport that no scroll box of their own contains.
_OVERFLOWING = """() => [...document.querySelectorAll('body *')].filter(e => {
  if (e.getBoundingClientRect().right <= innerWidth + 1) return false;
  if (['absolute', 'fixed'].includes(getComputedStyle(e).position)) return true;  // escapes unpositioned scroll boxes
  for (let a = e.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return false;
  return true;
}).slice(0, 3)
  .map(e => `<${e.tagName.toLowerCase()} class="${e.className}">${(e.textContent || '').trim().slice(0, 30)}`)"""

# Placeholders cut off in their field (measured with the field's own font, inside its padding).
_CUT_PLACEHOLDERS = """() => [...document.querySelectorAll('input[placeholder]')].filter(i => {
  if (!i.offsetParent) return false;
  const s = getComputedStyle(i), ctx = document.createElement('canvas').getContext('2d');
  ctx.font = s.font;
  const room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  return ctx.measureText(i.placeholder).width > room + 1;
}).map(i => i.placeholder)"""


# Tables cut off: a table box that needs scrolling on a desktop (only boxes marked .wide may: the heatmap), and a
# table cell whose text is clipped or ellipsed ("Wijzi…") rather than wrapped. Visually-hidden text does not count.
_CUT_TABLES = """(width) => {
  const out = [];
  if (width >= 1280) for (const w of document.querySelectorAll('.table-wrap:not(.wide)'))
    if (w.offsetParent && w.scrollWidth > w.clientWidth + 1)
      out.push(`table box ${w.scrollWidth} px in ${w.clientWidth} px: ${(w.textContent || '').trim().slice(0, 30)}`);
  for (const e of document.querySelectorAll('td, th, td *, th *')) {
    if (!e.offsetParent || e.closest('.visually-hidden')) continue;
    const s = getComputedStyle(e);
    const clips = s.overflowX !== 'visible' || s.textOverflow === 'ellipsis';
    if (clips && e.scrollWidth > e.clientWidth + 1)
      out.push(`cell text cut off: ${(e.textContent || '').trim().slice(0, 30)}`);
  }
  return out.slice(0, 5);
}"""

# Every table box scrolls for keyboard users too (focusable) and says what it holds (a named region).
_UNNAMED_SCROLL_BOXES = """() => [...document.querySelectorAll('.table-wrap')].filter(w => {
  const ids = (w.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  const named = ids.map(i => document.getElementById(i)?.textContent || '').join(' ');
  const name = (w.getAttribute('aria-label') || named).trim();
  return w.getAttribute('tabindex') !== '0' || w.getAttribute('role') !== 'region' || !name;
}).map(w => (w.textContent || '').trim().slice(0, 30))"""


def assert_fits(page: Any, where: str) -> None:
    """No sideways scrolling on a phone (375 px) nor on a desktop (1280 px): wide tables scroll in their own box
    (a focusable, named region), and on a desktop only the ones marked .wide need to; no placeholder and no table
    cell's text is cut off.

    Runs for every page state the journeys check (from assert_accessible), so a page added later is covered too."""
    original = page.viewport_size
    problems: list[str] = []
    try:
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": original["height"] if original else 900})
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{width} px: the page is {scroll_width} px wide; {page.evaluate(_OVERFLOWING)}")
            cut = page.evaluate(_CUT_PLACEHOLDERS)
            if cut:
                problems.append(f"{width} px: placeholder cut off: {cut}")
            cut_tables = page.evaluate(_CUT_TABLES, width)
            if cut_tables:
                problems.append(f"{width} px: {cut_tables}")
    finally:
        if original:
            page.set_viewport_size(original)
    unnamed = page.evaluate(_UNNAMED_SCROLL_BOXES)
    if unnamed:
        problems.append(f"table box not a focusable, named region (tabindex=0, role=region, aria-label): {unnamed}")
    assert not problems, f"sideways scrolling on {where}: " + "; ".join(problems)


def assert_accessible(page: Any, label: str = "", *, both_schemes: bool = True) -> None:
    """Fail on any serious or critical WCAG 2.1 A/AA violation on the current page (state).

    Pico follows the operating system's light or dark mode, so the page is checked in both (unless told not to).
    The page is left in its own colour scheme but with reduced motion switched on (and it stays on): Pico's colour
    transitions would otherwise make a check right after a switch, a hover or a click read colours halfway."""
    page.wait_for_load_state()
    CHECKED_KINDS.add(page_kind(page.url))
    ALL_CHECKED_KINDS.add(page_kind(page.url))
    original = _scheme(page)
    url = _CSRF.sub(r"\1…", page.url)  # a CSRF token in a form's action URL is not worth keeping in a report
    where = f"{label} {url}".strip()
    failures: list[str] = []
    try:
        for scheme in [original, *(["light" if original == "dark" else "dark"] if both_schemes else [])]:
            page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            found = axe_violations(page)
            blocking = [v for v in found if v["impact"] in BLOCKING]
            CHECKED.append(
                {"page": where, "scheme": scheme, "other_violations": [v for v in found if v not in blocking]}
            )
            if blocking:
                failures.append(f"[{scheme} mode]\n{format_violations(blocking)}")
    finally:
        page.emulate_media(color_scheme=original, reduced_motion="reduce")
    assert_fits(page, where)
    assert not failures, f"axe-core {AXE_VERSION}: accessibility violations on {where}:\n" + "\n".join(failures)
