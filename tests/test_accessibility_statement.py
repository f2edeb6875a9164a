"""#16 item 20: /toegankelijkheid, the accessibility statement, states what the browser tests check."""

from fastapi import FastAPI

from app.privacy.accessibility import load_checks
from tests.browser.a11y import AXE_VERSION, WCAG_TAGS
from tests.conftest import Browser


def test_the_statement_is_public_and_in_the_dutch_format(app: FastAPI, client: Browser) -> None:
    page = client.get("/toegankelijkheid")
    assert page.status_code == 200
    headings = ("Toegankelijkheidsverklaring", "Nalevingsstatus", "Wat we toetsen", "Bekende beperkingen", "Contact")
    for heading in headings:
        assert heading in page.text
    assert "WCAG 2.1" in page.text and "Voldoet gedeeltelijk" in page.text
    assert f"axe-core {AXE_VERSION}" in page.text
    assert app.state.settings.privacy_contact in page.text
    checks = load_checks()
    assert checks.pages and all(f"<code>{p}</code>" in page.text for p in checks.pages)


def test_the_statement_states_what_the_tests_run(app: FastAPI) -> None:
    """The summary the page reads is the browser suite's own: the same axe-core version and rule sets (the
    browser suite itself fails when it checks a page the summary does not list)."""
    checks = load_checks()
    assert checks.axe_core == AXE_VERSION
    assert list(checks.wcag_tags) == WCAG_TAGS
    assert "/aftekenen" in checks.pages and "/portfolio" in checks.pages


def test_every_page_links_to_it_and_it_is_english_too(client: Browser) -> None:
    assert 'href="/toegankelijkheid"' in client.get("/login").text
    client.post("/taal", data={"locale": "en"})
    english = client.get("/toegankelijkheid").text
    assert "Accessibility statement" in english and "Partially compliant" in english
