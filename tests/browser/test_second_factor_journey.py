"""A student sets up a second factor in the browser (optional for students): the account page, the enrolment page
with its QR code, the recovery codes, and the code after the password at the next login; each page checked with
axe and at 375 px (a phone scans the QR code of a laptop, but may also show the page itself)."""

import re
from typing import Any

import pyotp

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer
from tests.browser.helpers import DEMO_PASSWORD, sign_in, sign_out

STUDENT = "daan@demo.jobcoach.nl"


def test_a_student_sets_up_a_second_factor_and_is_asked_for_it(live_server: LiveServer, browser: Any) -> None:
    base = live_server.base
    page = sign_in(browser, base, STUDENT)
    page.click("a[href='/account/tweede-factor']")
    page.wait_for_url(f"{base}/account/tweede-factor")
    assert_accessible(page, "second factor account")
    page.click("main a[href='/tweede-factor/instellen']")
    page.wait_for_url(f"{base}/tweede-factor/instellen")
    assert page.locator(".second-factor-qr svg").count() == 1
    assert_accessible(page, "second factor enrolment")
    secret = page.locator(".second-factor-secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main form[action='/tweede-factor/instellen'] button[type=submit]")
    page.wait_for_selector(".second-factor-codes")
    codes = [c.strip() for c in page.locator(".second-factor-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert_accessible(page, "recovery codes")
    sign_out(page)
    page.context.close()

    # Next time: the password, then a code (a recovery code here: the app's code of this step was used).
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{base}/login")
    assert_accessible(page, "login")
    page.fill("#email", STUDENT)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/tweede-factor")
    assert_accessible(page, "second factor code")
    page.fill("#code", codes[0])
    page.click("main form[action='/tweede-factor'] button[type=submit]")
    page.wait_for_url(lambda url: "/tweede-factor" not in url)
    assert page.url == f"{base}/portfolio", page.url
    assert_accessible(page, "portfolio after the second factor")
    context.close()
