"""Coordinator screens: cohorts, the people import, welcome mails again, a student's guidance (praktijkbegeleider,
beoordelaar). A cohort's progress is in app.cohorts.progress_routes, the programme's minimum in programme_routes."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import Role, User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.bodylimit import large_body
from app.cohorts import guidance, service
from app.cohorts.models import Cohort
from app.config import Settings
from app.dashboard import cohort_list
from app.db import DB, RowId, parse_row_id
from app.deps import cohort_in_scope, registry_of
from app.errors import InvalidInput
from app.i18n import lazy
from app.responses import done, page_or_partial
from app.signoff import service as signoff_service
from app.web import is_htmx, render, require, settings_of

router = APIRouter()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/cohorten")
def cohorts(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.cohort_view))) -> Response:
    return render(
        request,
        "cohorts/list.html",
        {
            "summaries": cohort_list.list_cohorts(db, actor=actor, registry=registry_of(request)),
            "programmes": service.programmes_for(db, actor=actor) if actor.can(Permission.cohort_manage) else [],
        },
    )


def _new_form(request: Request, db: Session, actor: Actor, status_code: int = 200, **extra: object) -> Response:
    return render(
        request,
        "cohorts/new.html",
        {
            "programmes": service.programmes_for(db, actor=actor),
            "frameworks": registry_of(request).all(),
            "form": extra.pop("form", {}),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/cohorten/nieuw")
def new_cohort_form(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.cohort_manage))
) -> Response:
    return _new_form(request, db, actor)


@router.post("/cohorten")
def create_cohort(
    request: Request,
    programme_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    start_date: Annotated[str, Form()] = "",
    planned_end_date: Annotated[str, Form()] = "",
    framework: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.cohort_manage)),
) -> Response:
    try:
        cohort = service.create_cohort(
            db,
            actor=actor,
            registry=registry_of(request),
            programme_id=parse_row_id(programme_id) or 0,  # 0: no programme, refused as one not coordinated
            name=name,
            start_date=_parse_date(start_date),
            planned_end_date=_parse_date(planned_end_date),
            framework_key=framework,
        )
    except InvalidInput as exc:
        form = {
            "programme_id": programme_id,
            "name": name,
            "start_date": start_date,
            "planned_end_date": planned_end_date,
            "framework": framework,
        }
        return _new_form(request, db, actor, errors=exc.details, form=form, status_code=422)
    return done(request, f"/cohorten/{cohort.id}")


def _with_assigned(staff: list[User], assigned: list[User | None]) -> list[User]:
    """Active staff plus anyone already assigned (say, a blocked account): a row's form then shows the
    current choice instead of "— geen —", and saving it does not silently unassign that person."""
    known = {u.id for u in staff}
    extra = {u.id: u for u in assigned if u is not None and u.id not in known}
    return sorted([*staff, *extra.values()], key=lambda u: u.name.lower())


def _staff_choices(db: Session, members: list[service.Member]) -> dict[str, list[User]]:
    """The dropdowns of a member row: active staff plus whoever these rows already have assigned."""
    return {
        "supervisors": _with_assigned(
            service.staff_with_role(db, role=Role.praktijkbegeleider), [m.supervisor for m in members]
        ),
        "assessors": _with_assigned(service.staff_with_role(db, role=Role.beoordelaar), [m.assessor for m in members]),
    }


MEMBERS_PAGE_SIZE = 100
NOT_POSSIBLE_SHOWN = 50


def _page_number(request: Request) -> int:
    value = request.query_params.get("pagina", "")
    return int(value) if value.isdecimal() and len(value) < 7 else 1


def _cohort_page(request: Request, db: Session, cohort: Cohort, status: int = 200, **extra: object) -> Response:
    """The cohort with one page of its students. A row shows the guidance; its editor (two dropdowns with every
    praktijkbegeleider and beoordelaar) is loaded on demand, one row at a time."""
    framework = service.framework_of(registry_of(request), cohort)
    page = _page_number(request)
    members, total = service.cohort_members_page(db, cohort_id=cohort.id or 0, page=page, size=MEMBERS_PAGE_SIZE)
    return render(
        request,
        "cohorts/detail.html",
        {
            "cohort": cohort,
            "framework": framework,
            "members": members,
            "member_total": total,
            "page": page,
            "pages": max(1, -(-total // MEMBERS_PAGE_SIZE)),
            # The oldest few; all of them are on the bottlenecks page (at 2,000 students there are thousands).
            "not_possible": signoff_service.not_possible_in_cohort(
                db, cohort_id=cohort.id or 0, limit=NOT_POSSIBLE_SHOWN + 1
            ),
            "not_possible_shown": NOT_POSSIBLE_SHOWN,
            "staff_not_activated": service.staff_not_activated(db, cohort_id=cohort.id or 0),
            **extra,
        },
        status_code=status,
    )


@router.get("/cohorten/{cohort_id}")
def cohort_detail(
    request: Request, db: Session = DB, cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view))
) -> Response:
    return _cohort_page(request, db, cohort)


def _import_budget(settings: Settings) -> tuple[int, str]:
    """The CSV file plus room for the form around it (the service refuses a larger file with the same message)."""
    megabytes = service.MAX_IMPORT_BYTES // (1024 * 1024)
    return service.MAX_IMPORT_BYTES + 64 * 1024, f"Het bestand is groter dan {megabytes} MB."


@router.post("/cohorten/{cohort_id}/import")
@large_body(_import_budget)
async def import_people(
    request: Request,
    file: Annotated[UploadFile, File()],
    db: Session = DB,
    actor: Actor = Depends(require(Permission.people_import)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.people_import)),
) -> Response:
    data = await file.read(service.MAX_IMPORT_BYTES + 1)
    try:
        result = service.import_people(db, actor=actor, cohort=cohort, data=data, settings=settings_of(request))
    except InvalidInput as exc:
        # Nothing was written: the session is rolled back before the page shows the row errors.
        db.rollback()
        return _cohort_page(request, db, cohort, status=422, import_error=exc.message, import_details=exc.details)
    # 303 to the cohort page (not the upload URL, which carries the csrf_token); the notice survives the redirect.
    if result.changed_anything:
        notice = lazy(
            "Import voltooid: %(created)d nieuw, %(updated)d bijgewerkt, %(enrolled)d ingeschreven, "
            "%(assigned)d koppelingen.",
            created=result.created,
            updated=result.updated,
            enrolled=result.enrolled,
            assigned=result.assigned,
        )
    else:
        notice = lazy("Import voltooid: er was niets nieuws, er is niets gewijzigd.")
    return done(request, f"/cohorten/{cohort.id}", notice)


@router.post("/cohorten/{cohort_id}/studenten/{student_id}/welkomstmail")
def resend_welcome(
    request: Request,
    student_id: RowId,
    pagina: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.people_import)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.people_import)),
) -> Response:
    """Who imports people may send a student who has not activated yet a new welcome mail (a new link)."""
    student = service.resend_welcome(
        db, actor=actor, cohort=cohort, student_id=student_id, settings=settings_of(request)
    )
    notice = lazy("Welkomstmail opnieuw gestuurd naar %(name)s (%(email)s).", name=student.name, email=student.email)
    page = parse_row_id(pagina)  # back to the page the button was on
    return done(request, f"/cohorten/{cohort.id}" + (f"?pagina={page}" if page else ""), notice)


@router.post("/cohorten/{cohort_id}/begeleiders/{staff_id}/welkomstmail")
def resend_welcome_staff(
    request: Request,
    staff_id: RowId,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.people_import)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.people_import)),
) -> Response:
    """The same for a praktijkbegeleider or beoordelaar of this cohort's students (#16 item 13)."""
    user = service.resend_welcome_staff(db, actor=actor, cohort=cohort, user_id=staff_id, settings=settings_of(request))
    notice = lazy("Welkomstmail opnieuw gestuurd naar %(name)s (%(email)s).", name=user.name, email=user.email)
    return done(request, f"/cohorten/{cohort.id}", notice)


def _person_id(value: str, label: str) -> int | None:
    """An empty choice means "— geen —"; anything else must be an id (never silently cleared)."""
    if not value.strip():
        return None
    chosen = parse_row_id(value)
    if chosen is None:
        raise InvalidInput(f"Kies een {label} uit de lijst.")
    return chosen


@router.get("/cohorten/{cohort_id}/studenten/{student_id}/begeleiding")
def guidance_editor(
    request: Request,
    student_id: RowId,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.assignment_manage)),
) -> Response:
    """One student's guidance editor: the row's dropdowns for HTMX, or a page of its own without JavaScript."""
    member = service.cohort_member(db, cohort_id=cohort.id or 0, student_id=student_id)
    context = {"m": member, "cohort": cohort, "editing": True, **_staff_choices(db, [member])}
    return page_or_partial(request, "cohorts/guidance.html", "cohorts/_member_row.html", context)


@router.post("/cohorten/{cohort_id}/studenten/{student_id}/begeleiding")
def assign_guidance(
    request: Request,
    student_id: RowId,
    supervisor_id: Annotated[str, Form()] = "",
    assessor_id: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assignment_manage)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.assignment_manage)),
) -> Response:
    guidance.assign_guidance(
        db,
        actor=actor,
        cohort=cohort,
        student_id=student_id,
        supervisor_id=_person_id(supervisor_id, "praktijkbegeleider"),
        assessor_id=_person_id(assessor_id, "beoordelaar"),
        settings=settings_of(request),
    )
    if is_htmx(request):
        # HTMX swaps just this student's row (back to showing the guidance), with a "saved" note.
        member = service.cohort_member(db, cohort_id=cohort.id or 0, student_id=student_id)
        return render(request, "cohorts/_member_row.html", {"m": member, "cohort": cohort, "saved": True})
    return done(request, f"/cohorten/{cohort.id}")
