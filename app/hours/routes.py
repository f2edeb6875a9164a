"""Praktijkuren pages: the student's log, staff viewing a student, and the supervisor's week decisions.

The supervisor decides in the same places as for evidence: `/aftekenen` when signed in and `/link/{token}` through
a personal link (the sign-off portals); the pending weeks are shown on those pages.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import service as cohorts
from app.db import DB, RowId, parse_row_id
from app.deps import Portal, link_portal, portal_used, registry_of, signed_in_portal, student_in_scope
from app.errors import NotFound
from app.framework.schema import Framework
from app.hours import service
from app.hours.models import HoursStatus
from app.i18n import lazy, lazy_n
from app.privacy.access import log_view
from app.responses import done
from app.web import public, render, require, settings_of

router = APIRouter()


def _framework(db: Session, request: Request, student_id: int) -> Framework | None:
    enrolments = cohorts.enrolments_of_student(db, student_id=student_id)
    if not enrolments:
        return None
    try:
        return cohorts.framework_of(registry_of(request), enrolments[0][1])
    except cohorts.FrameworkUnavailable:
        return None


def _page(
    request: Request,
    db: Session,
    student: User,
    *,
    own: bool,
    form: service.HoursInput | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    views = service.entries_of(db, student_id=student.id or 0)
    weeks: dict[str, list[service.EntryView]] = {}
    for view in views:
        weeks.setdefault(view.week, []).append(view)
    totals = service.totals_of(views)
    context = {
        "student": student,
        "own": own,
        "weeks": weeks,
        "week_totals": {w.key: w for w in totals.weeks},
        "totals": totals,
        "statuses": HoursStatus,
        "form": form or service.HoursInput(workplace=service.default_workplace(db, student_id=student.id or 0)),
        "errors": errors or {},
        "framework": _framework(db, request, student.id or 0) if own else None,
        "fmt": service.format_hours,
    }
    return render(request, "hours/index.html", context, status_code=status_code)


def _correction_form(db: Session, student_id: int, entry_id: int) -> service.HoursInput:
    old = service.replaceable(db, student_id=student_id, entry_id=entry_id)
    return service.HoursInput(
        work_date=old.work_date.isoformat(),
        hours=service.format_hours(old.hours),
        activity=old.activity,
        workplace=old.workplace,
        eindtermen=list(old.eindterm_codes),
        clients=", ".join(old.client_codes),
        replaces_id=old.id,
    )


@router.get("/praktijkuren")
def own_hours(
    request: Request,
    corrigeer: str = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.hours_write)),
) -> Response:
    student = db.get(User, actor.id)
    if student is None:
        raise NotFound()
    correcting = parse_row_id(corrigeer)  # nonsense in the address bar: just the page, no correction form
    form = _correction_form(db, actor.id, correcting) if correcting else None
    return _page(request, db, student, own=True, form=form)


@router.post("/praktijkuren")
async def log_hours(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.hours_write))
) -> Response:
    raw = await request.form()
    replaces = str(raw.get("vervangt", "")).strip()
    data = service.HoursInput(
        work_date=str(raw.get("datum", "")),
        hours=str(raw.get("uren", "")),
        activity=str(raw.get("activiteit", "")),
        workplace=str(raw.get("werkplek", "")),
        eindtermen=[str(v) for v in raw.getlist("eindtermen")],
        clients=str(raw.get("clienten", "")),
        replaces_id=parse_row_id(replaces),
    )
    try:
        service.log_hours(db, student_id=actor.id, data=data, registry=registry_of(request))
    except service.HoursFormErrors as exc:
        db.rollback()
        student = db.get(User, actor.id)
        assert student is not None
        return _page(request, db, student, own=True, form=data, errors=exc.errors, status_code=422)
    return done(request, "/praktijkuren")


@router.post("/praktijkuren/week")
def submit_week(
    request: Request,
    week: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.hours_write)),
) -> Response:
    service.submit_week(db, student_id=actor.id, week=week, settings=settings_of(request))
    return done(request, "/praktijkuren")


@router.post("/praktijkuren/{entry_id}/verwijderen")
def remove_entry(
    request: Request, entry_id: RowId, db: Session = DB, actor: Actor = Depends(require(Permission.hours_write))
) -> Response:
    service.remove_concept(db, student_id=actor.id, entry_id=entry_id)
    return done(request, "/praktijkuren")


@router.get("/studenten/{student_id}/praktijkuren")
def student_hours(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> Response:
    log_view(request, db, student_id=student.id or 0, kind="uren")
    return _page(request, db, student, own=False)


# --- the praktijkbegeleider (signed in or through a link) -------------------------------------------------------


def _approve(
    request: Request, db: Session, portal: Portal, student: str, week: str, total: str, ids: str, confirm: str
) -> Response:
    if portal.needs_identity:
        return done(request, portal.base)
    made = service.approve_week(
        db,
        decider=portal.decider,
        student_id=parse_row_id(student),
        week=week,
        seen_total=total,
        seen_ids=ids,
        confirmed=confirm == "ja",
    )
    portal_used(request, db, portal)
    # 303 to the list (a refresh does not approve again), which says what was approved, once.
    notice = lazy_n(
        "Week goedgekeurd: %(num)d regel praktijkuren.", "Week goedgekeurd: %(num)d regels praktijkuren.", len(made)
    )
    return done(request, portal.base, notice)


def _return(request: Request, db: Session, portal: Portal, entry_id: int, reason: str) -> Response:
    if portal.needs_identity:
        return done(request, portal.base)
    service.return_entry(db, decider=portal.decider, entry_id=entry_id, comment=reason, settings=settings_of(request))
    portal_used(request, db, portal)
    return done(request, portal.base, lazy("De uren zijn teruggestuurd naar de student."))


# Each action once, for either portal: signed in under /aftekenen, through a link under /link/{token}.


def approve_week_endpoint(portal_of: Callable[..., Portal]) -> Callable[..., Response]:
    def approve_week(
        request: Request,
        student: Annotated[str, Form()] = "",
        week: Annotated[str, Form()] = "",
        totaal: Annotated[str, Form()] = "",
        regels: Annotated[str, Form()] = "",
        bevestig: Annotated[str, Form()] = "",
        db: Session = DB,
        portal: Portal = Depends(portal_of),
    ) -> Response:
        return _approve(request, db, portal, student, week, totaal, regels, bevestig)

    return approve_week


def return_entry_endpoint(portal_of: Callable[..., Portal]) -> Callable[..., Response]:
    def return_entry(
        request: Request,
        entry_id: RowId,
        toelichting: Annotated[str, Form()] = "",
        db: Session = DB,
        portal: Portal = Depends(portal_of),
    ) -> Response:
        return _return(request, db, portal, entry_id, toelichting)

    return return_entry


router.post("/aftekenen/uren/week", name="approve_week")(approve_week_endpoint(signed_in_portal))
router.post("/aftekenen/uren/{entry_id}/terug", name="return_entry")(return_entry_endpoint(signed_in_portal))
router.post("/link/{token}/uren/week", dependencies=[Depends(public)], name="link_approve_week")(
    approve_week_endpoint(link_portal)
)
router.post("/link/{token}/uren/{entry_id}/terug", dependencies=[Depends(public)], name="link_return_entry")(
    return_entry_endpoint(link_portal)
)
