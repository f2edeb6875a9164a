"""A praktijkbegeleider without an account signs off three items from one e-mailed link, on a phone."""

import re

from sqlalchemy import create_engine, text

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer, screenshot

DEMO_PASSWORD = "demo-jobcoach-2026"


def test_supervisor_without_account_signs_off_three_items_on_a_phone(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    # The student proposes her praktijkbegeleider from her portfolio page (a voorstel: nothing is sent yet).
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    page = desktop.new_page()
    page.goto(f"{live_server.base}/login")
    assert_accessible(page, "login")
    page.fill("#email", "lotte@demo.jobcoach.nl")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.base}/portfolio")
    page.click("details.supervisor-box summary")
    page.fill("input[name=naam]", "Kees Werkvloer")
    page.fill("input[name=email]", "kees@bakkerij.example")
    page.fill("input[name=functie]", "Chef bakkerij")
    assert_accessible(page, "portfolio, proposal form open")
    page.click("form.invite-form button[type=submit]")
    page.wait_for_load_state()
    assert_accessible(page, "portfolio, proposal sent")
    assert "wacht op goedkeuring door de opleiding" in page.locator("details.supervisor-box").inner_text()
    desktop.close()

    # The coordinator approves the koppeling, on a phone: the screen lists what moves to Kees.
    coordinator = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, reduced_motion="reduce")
    screen = coordinator.new_page()
    screen.goto(f"{live_server.base}/login")
    screen.fill("#email", "coordinator@demo.jobcoach.nl")
    screen.fill("#password", DEMO_PASSWORD)
    screen.click("main button[type=submit]")
    screen.wait_for_load_state()
    screen.goto(f"{live_server.base}/cohorten")
    assert_accessible(screen, "coordinator: cohorts (phone)")
    screen.click("text=Voorstellen praktijkbegeleider")
    screen.wait_for_selector("h1:has-text('Voorstellen praktijkbegeleider')")
    assert_accessible(screen, "coordinator: proposals (phone)")
    assert screen.evaluate("document.documentElement.scrollWidth") <= 375
    screen.click(".proposal-list li:has-text('kees@bakkerij.example') a")
    screen.wait_for_selector("h1:has-text('Koppeling goedkeuren')")
    assert_accessible(screen, "coordinator: approval screen (phone)")
    assert screen.evaluate("document.documentElement.scrollWidth") <= 375
    screen.click("form[action$=goedkeuren] button[type=submit]")
    screen.wait_for_selector("h1:has-text('Voorstellen praktijkbegeleider')")
    coordinator.close()

    # The invitation arrives over SMTP with a personal link.
    mail = live_server.mailbox.latest_to("kees@bakkerij.example")
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "persoonlijke link" in body
    link = re.search(r"(http://127\.0\.0\.1:\d+/link/[A-Za-z0-9_-]+)", body)
    assert link, body

    phone = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    tab = phone.new_page()
    tab.goto(link.group(1))
    assert tab.locator("h1").inner_text() == "Welkom"
    assert_accessible(tab, "link: welcome (phone)")
    # Nothing overflows sideways on a 375 px screen.
    assert tab.evaluate("document.documentElement.scrollWidth") <= 375
    tab.fill("#functie", "Chef bakkerij")
    tab.click("main button[type=submit]")
    tab.wait_for_selector("h1:has-text('Af te tekenen')")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 375
    waiting = tab.locator(".pending-item").count()
    assert waiting >= 3
    assert_accessible(tab, "link: pending list (phone)")
    for number in range(3):
        tab.locator(".pending-item a").first.click()
        tab.wait_for_selector(".decision-form")
        if number == 0:
            assert_accessible(tab, "link: review (phone)")
        tab.check("input[value=afgetekend]")
        tab.click(".decision-form button[type=submit]")
        tab.wait_for_selector("text=Uw besluit is vastgelegd.")
    assert_accessible(tab, "link: pending list after decisions (phone)")
    screenshot(tab, "supervisor-link-phone")
    assert tab.locator(".pending-item").count() == waiting - 3
    phone.close()
    engine = create_engine(live_server.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT decided_by_email, via_link_id FROM sign_off WHERE decided_by_email = 'kees@bakkerij.example'")
        ).all()
    engine.dispose()
    assert len(rows) == 3 and all(email == "kees@bakkerij.example" and link_id for email, link_id in rows)
