"""A beoordelaar scores a signed-off eindterm and sees the student's diplomagereedheid move."""

import re

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.helpers import query, sign_in

ASSESSOR = "a.visser@demo.jobcoach.nl"
MET = "p:has-text('eindtermen voldoen aan de regel') strong"


def test_assessor_scores_an_item_and_readiness_moves(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server.base
    page = sign_in(browser, base, ASSESSOR)
    assert_accessible(page, "assessor start page")
    page.click("header a:text-is('Te beoordelen')")
    page.wait_for_url(f"{base}/te-beoordelen")
    assert_accessible(page, "to assess")
    rows = page.locator("main table tbody tr")
    waiting = rows.count()
    assert waiting >= 1, "the demo should leave a.visser something to score"
    student_name = rows.first.locator("td").first.inner_text()
    link = rows.first.locator("a")
    code = link.inner_text().strip()
    href = link.get_attribute("href") or ""
    student_id = int(re.match(r"/studenten/(\d+)/eindtermen/", href).group(1))  # type: ignore[union-attr]

    # Before: how many eindtermen of this student meet the rule (the assessor's view of the readiness page).
    page.goto(f"{base}/studenten/{student_id}/gereedheid")
    assert_accessible(page, "readiness before")
    met_before = int(page.locator(MET).inner_text())
    assert student_name in page.locator("h1").inner_text()

    page.goto(f"{base}/te-beoordelen")
    page.locator(f"main table a[href='{href}']").click()
    page.wait_for_url(f"{base}{href}")
    assert page.locator(".page-head .badge").first.inner_text() == "afgetekend"
    assert_accessible(page, "slot to score")
    page.check("section:has(#beoordelen-titel) input[name=score][value=voldoende]")
    page.fill("#feedback", "De intake laat goed zien hoe u aansluit bij de wensen van de cliënt.")
    assert_accessible(page, "slot, score filled in")
    page.click("section:has(#beoordelen-titel) button[type=submit]")
    page.wait_for_selector("#beoordelingen-titel")
    assert page.url == f"{base}{href}"
    assert page.locator(".page-head .badge").first.inner_text() == "beoordeeld"
    scored = page.locator("section:has(#beoordelingen-titel) li").first.inner_text()
    assert "voldoende" in scored and "aansluit bij de wensen" in scored
    assert_accessible(page, "slot after scoring")

    # The readiness page (through the portfolio, as a person would) now counts one more eindterm as met.
    page.click("nav[aria-label=breadcrumb] a")
    page.wait_for_url(f"{base}/studenten/{student_id}")
    assert_accessible(page, "student portfolio (assessor)")
    page.click("main a:has-text('Diplomagereedheid')")
    page.wait_for_url(f"{base}/studenten/{student_id}/gereedheid")
    assert int(page.locator(MET).inner_text()) == met_before + 1
    assert page.locator(f"table.missing a[href$='/eindtermen/{code}']").count() == 0
    assert_accessible(page, "readiness after")
    screenshot(page, "journey-assessor-readiness")

    page.click("header a:text-is('Te beoordelen')")
    page.wait_for_url(f"{base}/te-beoordelen")
    assert page.locator(f"main table a[href='{href}']").count() == 0
    assert page.locator("main table tbody tr").count() == waiting - 1
    assert_accessible(page, "to assess afterwards")
    page.context.close()
    stored = query(
        live_server.database_url,
        "SELECT status, score FROM slot WHERE student_id = :s AND eindterm_code = :c",
        s=student_id,
        c=code,
    )
    assert stored == [("beoordeeld", "voldoende")]
