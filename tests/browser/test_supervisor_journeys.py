"""A praktijkbegeleider with an account: sign off, return with a comment, bulk-sign; and the same by keyboard only.

The tests share one server (the demo gives s.mulder five waiting requests from Lotte); each counts relative to
what it finds, so they pass in any order; the one without JavaScript decides nothing and runs first.
"""

from typing import Any

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.helpers import (
    DEMO_PASSWORD,
    DESKTOP,
    assert_error_in_view,
    query,
    scroll_to_bottom,
    sign_in,
    user_id,
)

SUPERVISOR = "s.mulder@demo.jobcoach.nl"


def _decisions(live_server: LiveServer) -> list[tuple[int, str, str]]:
    supervisor = user_id(live_server.database_url, SUPERVISOR)
    rows = query(
        live_server.database_url,
        "SELECT submission_id, decision, comment FROM sign_off WHERE decided_by_id = :u ORDER BY id",
        u=supervisor,
    )
    return [(int(s), str(d), str(c or "")) for s, d, c in rows]


def test_supervisor_without_javascript_sees_a_refusal_next_to_the_form(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    """The same refusal as a plain form post (no JavaScript, so no HTMX): the review page comes back with the
    choice kept and the message next to the button, focused (autofocus) and in view, the comment field marked."""
    base = live_server.base
    before = _decisions(live_server)
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, java_script_enabled=False, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", SUPERVISOR)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/aftekenen")
    page.locator(".pending-item a").first.click()
    page.wait_for_selector(".decision-form")
    page.check(".decision-form input[name=besluit][value=niet_mogelijk]")
    assert scroll_to_bottom(page) > 0
    page.click(".decision-form button[type=submit]")
    page.wait_for_selector("#besluit-fout:not([hidden])")
    assert_error_in_view(page, contains="niet mogelijk is", field="#toelichting")
    assert page.locator(".decision-form input[value=niet_mogelijk]").is_checked()
    # (axe-core needs JavaScript: the same page with JavaScript is checked in the next test.)
    context.close()
    assert _decisions(live_server) == before


def test_supervisor_signs_off_returns_and_bulk_signs(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server.base
    before = _decisions(live_server)
    page = sign_in(browser, base, SUPERVISOR)
    assert_accessible(page, "supervisor start page")
    page.click("header a:text-is('Af te tekenen')")
    page.wait_for_url(f"{base}/aftekenen")
    assert_accessible(page, "pending list")
    waiting = page.locator(".pending-item").count()
    assert waiting >= 4, "the demo should leave s.mulder at least four requests"

    # 1. Open one request and sign it off.
    page.locator(".pending-item a").first.click()
    page.wait_for_selector(".decision-form")
    assert_accessible(page, "review page")
    page.check(".decision-form input[name=besluit][value=afgetekend]")
    page.click(".decision-form button[type=submit]")
    page.wait_for_selector("text=Uw besluit is vastgelegd.")
    assert page.url == f"{base}/aftekenen"
    assert page.locator(".pending-item").count() == waiting - 1
    assert_accessible(page, "pending list after a decision")

    # 2. Open the next one and send it back: first without the required comment (refused), then with one. On a
    #    phone, scrolled down to the form: the message appears next to the button, in view and focused, and the
    #    comment field is marked (#16 item 1).
    page.set_viewport_size({"width": 375, "height": 812})
    page.locator(".pending-item a").first.click()
    page.wait_for_selector(".decision-form")
    review_url = page.url
    page.check(".decision-form input[name=besluit][value=terug]")
    assert scroll_to_bottom(page) > 0
    page.click(".decision-form button[type=submit]")
    assert_error_in_view(page, contains="wat de student moet aanpassen", field="#toelichting")
    assert page.locator("#besluit-fout").get_attribute("role") == "alert"
    assert page.locator("#meldingen").inner_text() == ""
    assert page.url == review_url and page.locator(".decision-form input[value=terug]").is_checked()
    assert_accessible(page, "review refused without comment (phone)")
    page.set_viewport_size(DESKTOP)
    page.fill("#toelichting", "Beschrijf ook wat cliënt zelf inbracht in het gesprek.")
    assert_accessible(page, "review page, return chosen")
    page.click(".decision-form button[type=submit]")
    page.wait_for_selector("text=Uw besluit is vastgelegd.")
    assert page.locator(".pending-item").count() == waiting - 2

    # 3. Bulk: select two requests and confirm each one separately.
    items = page.locator(".pending-item")
    for index in range(2):
        item = items.nth(index)
        item.locator("input[name=verzoek]").check()
        item.locator("input[name^=bevestig_]").check()
    assert_accessible(page, "pending list, two selected")
    page.click(".pending-form button.bulk-selected")
    page.wait_for_selector("text=2 verzoeken afgetekend.")
    assert page.locator(".pending-item").count() == waiting - 4
    assert_accessible(page, "pending list after bulk sign-off")
    screenshot(page, "journey-supervisor-account")
    page.context.close()

    made = _decisions(live_server)[len(before) :]
    assert [d for _, d, _ in made] == ["afgetekend", "terug", "afgetekend", "afgetekend"], made
    assert made[1][2] == "Beschrijf ook wat cliënt zelf inbracht in het gesprek."
    assert len({s for s, _, _ in made}) == 4


def _focused(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = el ? getComputedStyle(el) : null;
                return {
                    tag: el ? el.tagName.toLowerCase() : '', text: el ? (el.innerText || '').trim() : '',
                    href: el && el.getAttribute('href'), type: el && el.getAttribute('type'),
                    name: el && el.getAttribute('name'), value: el && el.getAttribute('value'),
                    checked: !!(el && el.checked),
                    ring: !!style && ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                                      || style.boxShadow !== 'none'),
                };
            }"""
        )
    )


def _tab_to(page: Any, wanted: Any, *, what: str, limit: int = 60, key: str = "Tab") -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focused element is the wanted one; it must show a focus indicator."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = _focused(page)
        seen.append(f"{focused['tag']}:{focused['name'] or focused['href'] or focused['text'][:30]}")
        if wanted(focused):
            assert focused["ring"], f"{what} has focus but shows no visible focus indicator"
            return focused
    raise AssertionError(f"{what} not reached with {key} after {limit} presses; focus went: {seen}")


def test_supervisor_signs_off_by_keyboard_only(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server.base
    before = _decisions(live_server)
    # A praktijkbegeleider lands on what waits for them.
    page = sign_in(browser, base, SUPERVISOR, expect_path="/aftekenen")
    assert_accessible(page, "pending list")
    # From here on: only the keyboard.
    waiting = page.locator(".pending-item").count()
    assert waiting >= 1
    # … the skip link jumps past the menu straight to the first request.
    first = _tab_to(page, lambda f: f["tag"] == "a" and f["href"] == "#inhoud", what="skip link")
    assert first["text"] == "Naar de inhoud"
    page.keyboard.press("Enter")
    request = _tab_to(
        page, lambda f: f["tag"] == "a" and (f["href"] or "").startswith("/aftekenen/"), what="first request", limit=3
    )
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{request['href']}")
    page.wait_for_selector(".decision-form")
    assert_accessible(page, "review page")
    # The decision: tab into the radio group (the first option, "Aftekenen"), Space to choose it.
    _tab_to(page, lambda f: f["name"] == "besluit", what="decision radio group")
    page.keyboard.press("Space")
    chosen = _focused(page)
    assert chosen["value"] == "afgetekend" and chosen["checked"], chosen
    # Past the comment field to the submit button; Shift+Tab back and forth must land on the same controls.
    _tab_to(page, lambda f: f["tag"] == "button" and f["type"] == "submit", what="'Besluit vastleggen'")
    _tab_to(page, lambda f: f["tag"] == "textarea", what="comment field", key="Shift+Tab", limit=1)
    _tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Besluit vastleggen", what="submit", limit=1)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Uw besluit is vastgelegd.")
    assert page.url == f"{base}/aftekenen"
    assert page.locator(".pending-item").count() == waiting - 1
    assert_accessible(page, "pending list after the decision")
    screenshot(page, "journey-supervisor-keyboard")
    page.context.close()

    made = _decisions(live_server)[len(before) :]
    assert len(made) == 1 and made[0][1] == "afgetekend", made
    assert f"/aftekenen/{made[0][0]}" == request["href"]
