"""The pages with tables that no journey passes (hours, users, privacy, my students, development log), each checked
like every journey page: axe-core in light and dark mode, no sideways scrolling at 375 px, no table cut off at
1280 px. And the layout check itself, on a page made to fail it, so a check that cannot fail would be noticed."""

from typing import Any

import pytest

from tests.browser.a11y import assert_accessible, assert_fits
from tests.browser.conftest import LiveServer
from tests.browser.helpers import DESKTOP, sign_in, user_id

STUDENT = "lotte@demo.jobcoach.nl"

# Who sees which page; {student} is Lotte's id. In this order: the assessor's look at Lotte's readiness puts a row
# in the access log she reads last.
TOUR = {
    "coordinator@demo.jobcoach.nl": ["/cohorten", "/studenten/{student}/praktijkuren", "/privacy/register"],
    "beheer@demo.jobcoach.nl": ["/beheer/gebruikers"],
    "a.visser@demo.jobcoach.nl": ["/mijn-studenten", "/te-beoordelen", "/studenten/{student}/gereedheid"],
    STUDENT: ["/praktijkuren", "/portfolio/ontwikkeling", "/portfolio/inzage", "/privacy"],
}


@pytest.mark.parametrize("email", list(TOUR))
def test_pages_with_tables_fit_and_pass_axe(live_server: LiveServer, browser: Any, email: str) -> None:
    base = live_server.base
    student = user_id(live_server.database_url, STUDENT)
    page = sign_in(browser, base, email)
    assert_accessible(page, f"start page of {email}")  # where signing in lands: checked like every page opened
    for path in TOUR[email]:
        url = base + path.format(student=student)
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        assert page.locator("main table").count() >= 1, f"{path}: expected a table on this page"
        assert_accessible(page, path)
    page.context.close()


def test_public_statements_pass_axe_on_a_phone(live_server: LiveServer, browser: Any) -> None:
    """The sign-in page and the privacy and accessibility statements, as anyone opens them, without signing in."""
    page = browser.new_context(viewport={"width": 375, "height": 740}, reduced_motion="reduce").new_page()
    for path in ("/login", "/privacy", "/toegankelijkheid"):
        response = page.goto(live_server.base + path)
        assert response is not None and response.status == 200, path
        assert_accessible(page, f"{path} (not signed in)")
    page.context.close()


def test_the_programme_minimum_hours_page_says_what_is_wrong_in_view(live_server: LiveServer, browser: Any) -> None:
    """The coordinator's page for the programme's minimum practice hours (#16 item 21): checked like every page,
    and a bad value is refused next to the field, focused."""
    from tests.browser.helpers import assert_error_in_view

    page = sign_in(browser, live_server.base, "coordinator@demo.jobcoach.nl")
    page.locator("main a:text-is('Minimum praktijkuren')").first.click()
    page.wait_for_selector("#minimum_hours")
    assert_accessible(page, "programme minimum hours")
    page.set_viewport_size({"width": 375, "height": 740})
    page.fill("#minimum_hours", "-3")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#minimum_hours-fout")
    assert_error_in_view(page, field="#minimum_hours", described_by="minimum_hours-fout")
    assert_accessible(page, "programme minimum hours, refused")
    page.context.close()


_CSS = """
.table-wrap { overflow-x: auto; width: 20rem; }
.clip { display: inline-block; width: 3rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # A table box that needs scrolling on a desktop although it is not marked .wide.
        (
            '<div class="table-wrap" tabindex="0" role="region" aria-label="t"><table><tr>'
            + "<td>Eenheelerglangwoorddatnietpastinditvakjeenduszijwaartsmoetscrollen</td>" * 3
            + "</tr></table></div>",
            "table box",
        ),
        # A cell whose text is ellipsed ("Wijzi…").
        (
            '<div class="table-wrap" tabindex="0" role="region" aria-label="t"><table><tr>'
            '<td><a class="clip" href="#">Wijzigen van de begeleiding</a></td></tr></table></div>',
            "cell text cut off",
        ),
        # A scroll box that keyboard users cannot reach and screen readers cannot name.
        ('<div class="table-wrap"><table><tr><td>x</td></tr></table></div>', "not a focusable, named region"),
    ],
)
def test_layout_check_catches_cut_tables(browser: Any, body: str, expected: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_content(f"<!doctype html><html><head><style>{_CSS}</style></head><body>{body}</body></html>")
    with pytest.raises(AssertionError, match=expected):
        assert_fits(page, "made to fail")
    context.close()


def test_layout_check_passes_a_wide_table_in_its_own_box(browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    body = (
        '<div class="table-wrap wide" tabindex="0" role="region" aria-label="t"><table><tr>'
        + "<td>Eenheelerglangwoorddatnietpastinditvakjeenduszijwaartsmoetscrollen</td>" * 3
        + "</tr></table></div>"
    )
    page.set_content(f"<!doctype html><html><head><style>{_CSS}</style></head><body>{body}</body></html>")
    assert_fits(page, "a wide table")
    context.close()
