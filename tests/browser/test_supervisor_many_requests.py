"""A praktijkbegeleider with 120 open requests from 15 students, on a phone: grouped per student, paged, and
'Alles van <student> aftekenen' after a confirmation step. Its own server (module scope): the other journeys'
counts are not disturbed."""

from datetime import timedelta

from sqlalchemy import create_engine
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.cohorts import guidance
from app.cohorts.models import Cohort, Enrolment
from app.config import get_settings
from app.db import utcnow
from app.evidence.models import Slot, Submission
from app.framework.registry import load_frameworks
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.helpers import DEMO_PASSWORD

SUPERVISOR = "s.mulder@demo.jobcoach.nl"
PHONE = {"width": 375, "height": 812}


def _seed(database_url: str) -> None:
    """15 more trainees for s.mulder, 8 open requests each (written directly: the list reads slots/submissions)."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as db:
            supervisor = db.exec(select(User).where(User.email == SUPERVISOR)).one()
            cohort_id = db.exec(select(Enrolment.cohort_id).where(Enrolment.supervisor_id == supervisor.id)).first()
            cohort = db.get(Cohort, cohort_id)
            assert cohort is not None
            framework = load_frameworks(get_settings().framework_dir).get(cohort.framework_id, cohort.framework_version)
            codes = [e.code for e in framework.eindtermen][:8]
            now = utcnow()
            for n in range(15):
                student = accounts.create_user(
                    db, email=f"veel{n:02d}@student.example", name=f"Student Veel {n:02d}", roles={Role.student}
                )
                enrolment = Enrolment(cohort_id=cohort.id or 0, student_id=student.id or 0)
                db.add(enrolment)
                db.flush()
                guidance.link_existing(db, actor_id=None, enrolment=enrolment, supervisor=supervisor, settings=None)
                for k, code in enumerate(codes):
                    submission = Submission(
                        student_id=student.id or 0,
                        framework_id=cohort.framework_id,
                        framework_version=cohort.framework_version,
                        eindterm_code=code,
                        supervisor_id=supervisor.id,
                        submitted_at=now - timedelta(minutes=100 - n),
                    )
                    db.add(submission)
                    db.flush()
                    db.add(
                        Slot(
                            student_id=student.id or 0,
                            framework_id=cohort.framework_id,
                            framework_version=cohort.framework_version,
                            eindterm_code=code,
                            status="ter_aftekening",
                            submission_id=submission.id,
                            last_activity_at=now,
                        )
                    )
            db.commit()
    finally:
        engine.dispose()


def test_many_requests_grouped_paged_and_signed_per_student_on_a_phone(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server.base
    _seed(live_server.database_url)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    assert_accessible(page, "sign in (phone)")
    page.fill("#email", SUPERVISOR)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/aftekenen")
    groups = page.locator(".pending-group")
    assert groups.count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page, "many requests: page 1 (phone)")
    page.click(".pending-pager a[aria-label='Volgende pagina']")
    page.wait_for_url(f"{base}/aftekenen?pagina=2")
    assert groups.count() >= 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page, "many requests: page 2 (phone)")
    screenshot(page, "supervisor-many-requests-phone")

    # All of one student: first what will be signed off, then one confirmation.
    group = page.locator(".pending-group", has_text="Student Veel 12")
    assert "(8 verzoeken)" in group.locator("h2").inner_text()
    group.locator("button.group-all").click()
    page.wait_for_selector("h1:has-text('Alles van Student Veel 12 aftekenen')")
    assert page.locator(".confirm-all-list li").count() == 8
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page, "many requests: confirm all of one student (phone)")
    page.check("input[name=bevestig_alle]")
    page.click(".confirm-all-form button[type=submit]")
    page.wait_for_selector("text=8 verzoeken afgetekend.")
    assert page.locator(".pending-group", has_text="Student Veel 12").count() == 0
    assert page.locator(".pending-group", has_text="Student Veel 13").count() == 1
    assert_accessible(page, "many requests: after signing off one student (phone)")
    context.close()
