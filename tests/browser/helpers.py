"""Small shared steps for the browser journeys: sign in from the login page, read and prepare the live database."""

from typing import Any

from sqlalchemy import create_engine, text

from tests.browser.a11y import assert_accessible

DEMO_PASSWORD = "demo-jobcoach-2026"
DESKTOP = {"width": 1280, "height": 900}


def sign_in(browser: Any, base: str, email: str, *, expect_path: str | None = None) -> Any:
    """A fresh browser context (own cookies) that signs in through the login page; returns the page after login.

    The login page itself is checked for accessibility on the way. Reduced motion: no colour transitions to race
    the accessibility checks (see a11y.assert_accessible)."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    assert_accessible(page, "login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    if expect_path is not None:
        assert page.url == f"{base}{expect_path}", page.url
    return page


def sign_out(page: Any) -> None:
    page.click("header form[action='/logout'] button")
    page.wait_for_url(lambda url: "/login" in url or url.endswith("/"))
    page.context.close()


def query(database_url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def user_id(database_url: str, email: str) -> int:
    rows = query(database_url, "SELECT id FROM user_account WHERE email = :email", email=email)
    assert rows, email
    return int(rows[0][0])


_ERROR_STATE = """(field) => {
    const el = document.activeElement;
    const focused = el && el !== document.body && el !== document.documentElement ? el : null;
    const rect = focused ? focused.getBoundingClientRect() : null;
    const alert = focused ? focused.closest('[role=alert]') : null;
    const fields = field ? Array.from(document.querySelectorAll(field)) : [];
    return {
        focused: focused ? `${focused.tagName.toLowerCase()}#${focused.id}` : '',
        id: focused ? focused.id : '',
        text: focused ? (focused.innerText || '').trim() : '',
        alert: !!alert,
        top: rect ? rect.top : null, bottom: rect ? rect.bottom : null,
        height: window.innerHeight, scrollY: window.scrollY,
        fields: fields.map((f) => ({
            invalid: f.getAttribute('aria-invalid'),
            describedby: (f.getAttribute('aria-describedby') || '').split(/\\s+/),
        })),
    };
}"""


def assert_error_in_view(
    page: Any,
    *,
    contains: str | None = None,
    field: str | None = None,
    described_by: str | None = None,
    timeout: float = 5,
) -> dict[str, Any]:
    """After a refused form action (#16 item 1): the focused element is the message (role=alert, or inside one),
    it lies wholly inside the viewport, and — with `field`, a CSS selector for the control(s) to blame — every
    matching control has aria-invalid=true and an aria-describedby naming the message (or `described_by`, the
    control's own message id). Waits up to `timeout` seconds for the swap; returns the final state."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        state: dict[str, Any] = page.evaluate(_ERROR_STATE, field)
        problems = []
        if not state["focused"] or not state["alert"]:
            problems.append("the focused element is not (inside) a role=alert message")
        elif contains is not None and contains not in state["text"]:
            problems.append(f"the focused message does not say {contains!r}")
        elif not (state["top"] >= 0 and state["bottom"] <= state["height"]):
            problems.append("the message is not inside the viewport")
        if field is not None:
            wanted = described_by or state["id"]
            if not state["fields"]:
                problems.append(f"no control matches {field!r}")
            elif not all(f["invalid"] == "true" and wanted in f["describedby"] for f in state["fields"]):
                problems.append(f"{field!r} is not marked aria-invalid with aria-describedby={wanted!r}")
        if not problems:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"{'; '.join(problems)}: {state}")
        time.sleep(0.05)


def scroll_to_bottom(page: Any) -> int:
    """Scroll the page to its end (where a long page's form is) and return window.scrollY."""
    return int(page.evaluate("() => { window.scrollTo(0, document.documentElement.scrollHeight); return scrollY; }"))
