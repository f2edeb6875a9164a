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
