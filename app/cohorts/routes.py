"""Coordinator screens: cohorts, the people import, guidance assignments and the programme's minimum praktijkuren."""

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlmodel import Session

from app.accounts.models import Role, User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.bodylimit import large_body
from app.cohorts import chart, export, guidance, service
from app.cohorts import overview as overview_service
from app.cohorts.models import Cohort, Programme
from app.config import Settings
from app.db import DB, RowId, parse_row_id
from app.deps import cohort_in_scope, registry_of
from app.errors import InvalidInput
from app.evidence.filetypes import content_disposition
from app.evidence.status import STATUS_LABELS
from app.framework.schema import Framework
from app.hours import service as hours_service
from app.i18n import get_locale, gettext, lazy
from app.signoff import service as signoff_service
from app.web import is_htmx, redirect, redirect_with_notice, render, require, settings_of

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
            "summaries": service.list_cohorts(db, actor=actor, registry=registry_of(request)),
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
    return redirect(f"/cohorten/{cohort.id}", request)


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
    return redirect_with_notice(f"/cohorten/{cohort.id}", notice, request)


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
    return redirect_with_notice(f"/cohorten/{cohort.id}" + (f"?pagina={page}" if page else ""), notice, request)


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
    return redirect_with_notice(f"/cohorten/{cohort.id}", notice, request)


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
    if is_htmx(request):
        return render(request, "cohorts/_member_row.html", context)
    return render(request, "cohorts/guidance.html", context)


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
    return redirect(f"/cohorten/{cohort.id}")


# --- cohort progress ---------------------------------------------------------------------------------------------


def overview_filters(request: Request) -> overview_service.Filters:
    """Filters live in the URL, so a view can be bookmarked and shared; nonsense values are ignored."""
    params = request.query_params

    def number(name: str) -> int | None:
        value = params.get(name, "")
        return parse_row_id(value)

    sort = params.get("sorteer", "gereedheid")
    status = params.get("status") or None
    # `weergave=groepen`: the older spelling of the group level, kept for bookmarks.
    groups = params.get("niveau") == "groep" or params.get("weergave") == "groepen"
    return overview_service.Filters(
        supervisor_id=number("praktijkbegeleider"),
        assessor_id=number("beoordelaar"),
        workplace=(params.get("werkplek") or None),
        status=status if status in HEATMAP_SYMBOLS else None,  # every status as shown, onvoldoende included
        search=(params.get("zoek") or "").strip()[:100] or None,
        sort=sort if sort in overview_service.SORTS else "gereedheid",
        page=number("pagina") or 1,
        level="groep" if groups else "eindterm",
    )


def cohort_view(
    request: Request,
    db: Session,
    cohort: Cohort,
    *,
    filters: overview_service.Filters,
    paginate: bool = True,
    page_size: int = overview_service.PAGE_SIZE,
    extras: bool = True,
) -> overview_service.Overview:
    """The overview of a cohort in its own framework version (page, exports, bottlenecks and API share it)."""
    framework = service.framework_of(registry_of(request), cohort)
    return overview_service.overview(
        db, cohort=cohort, framework=framework, filters=filters, paginate=paginate, page_size=page_size, extras=extras
    )


HEATMAP_SYMBOLS = {
    "leeg": "·",
    "concept": "C",
    "ter_aftekening": "W",
    "terug": "T",
    "afgetekend": "A",
    "beoordeeld": "B",
    "onvoldoende": "O",
    "niet_mogelijk": "N",
}


@functools.lru_cache(maxsize=64)
def _heatmap_cells(codes: tuple[str, ...], locale: str) -> dict[tuple[str, str], str]:
    """Every cell a heatmap of these eindtermen can show, in this locale: made once, not per page."""
    del locale  # part of the cache key; gettext reads the locale render() has set
    labels = {status: gettext(label) for status, label in STATUS_LABELS.items()}
    return {(code, status): _heatmap_cell(code, status, labels[status]) for code in codes for status in labels}


def _heatmap_cell(code: str, status: str, label: str) -> str:
    symbol = HEATMAP_SYMBOLS.get(status, "?")
    html = Markup('<td class="cell status-{status}" title="{code}: {label}">{symbol}</td>')
    return str(html.format(status=status, code=code, label=label, symbol=symbol))


def heatmap_row(framework: Framework) -> Callable[[dict[str, str]], Markup]:
    """The heatmap cells of one student as one string: 100 rows × 56 cells in a template loop cost more than the
    queries. The cells are escaped once, when `_heatmap_cells` makes them."""
    codes = tuple(e.code for e in framework.eindtermen)

    def row(statuses: dict[str, str]) -> Markup:
        cells = _heatmap_cells(codes, get_locale())  # at render time: render() has set the locale
        html = [
            cells.get((code, status)) or _heatmap_cell(code, status, status)
            for code in codes
            for status in (statuses.get(code, "leeg"),)
        ]
        return Markup("".join(html))  # noqa: S704 - every piece was escaped by Markup.format above

    return row


@router.get("/cohorten/{cohort_id}/overzicht")
def cohort_overview(
    request: Request,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    filters = overview_filters(request)
    view = cohort_view(request, db, cohort, filters=filters)
    return render(
        request,
        "cohorts/overview.html",
        {
            "view": view,
            "heatmap_row": heatmap_row(view.framework),
            "statuses": list(HEATMAP_SYMBOLS),
            "legend": list(HEATMAP_SYMBOLS),
            "symbols": HEATMAP_SYMBOLS,
            "query": urlencode(filters.query(pagina=None)),
            "export_query": urlencode(filters.query(pagina=None, niveau=None)),
        },
    )


def _export_filters(request: Request) -> overview_service.Filters:
    """Exports hold every filtered student with every eindterm's status, whatever level the page shows."""
    return replace(overview_filters(request), level="eindterm", page=1)


@router.get("/cohorten/{cohort_id}/overzicht.csv")
def cohort_overview_csv(
    request: Request,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    view = cohort_view(request, db, cohort, filters=_export_filters(request), paginate=False, extras=False)
    headers = {"Content-Disposition": content_disposition(f"{cohort.name}.csv")}
    return StreamingResponse(export.csv_chunks(view), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/cohorten/{cohort_id}/overzicht.xlsx")
def cohort_overview_xlsx(
    request: Request,
    background: BackgroundTasks,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    view = cohort_view(request, db, cohort, filters=_export_filters(request), paginate=False, extras=False)
    path = export.xlsx_file(view)
    background.add_task(path.unlink, missing_ok=True)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": content_disposition(f"{cohort.name}.xlsx")},
    )


@router.get("/cohorten/{cohort_id}/knelpunten")
def cohort_bottlenecks(
    request: Request,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    framework = service.framework_of(registry_of(request), cohort)
    found = overview_service.bottlenecks(db, cohort=cohort, framework=framework)
    weeks = overview_service.weekly_progress(db, cohort=cohort)
    return render(
        request,
        "cohorts/bottlenecks.html",
        {
            "cohort": cohort,
            "b": found,
            "chart": chart.progress_chart(
                weeks, total=found.total_students * len(framework.eindtermen), planned_end=cohort.planned_end_date
            ),
        },
    )


# --- programme settings: the minimum of approved praktijkuren ------------------------------------------------


def programme_in_scope(permission: Permission):  # type: ignore[no-untyped-def]
    """Dependency: load the programme *and* check the actor coordinates it (anything else is 404)."""

    def dependency(programme_id: RowId, db: Session = DB, actor: Actor = Depends(require(permission))) -> Programme:
        return service.coordinated_programme(db, actor=actor, programme_id=programme_id)

    return dependency


def _minimum_page(
    request: Request, db: Session, programme: Programme, *, value: str | None = None, error: str | None = None
) -> Response:
    own = programme.minimum_practice_hours
    return render(
        request,
        "cohorts/programme_hours.html",
        {
            "programme": programme,
            "frameworks": hours_service.framework_minimums(
                db, programme_id=programme.id or 0, registry=registry_of(request)
            ),
            "value": ("" if own is None else str(own)) if value is None else value,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@router.get("/opleidingen/{programme_id}/praktijkuren")
def programme_hours_form(
    request: Request, db: Session = DB, programme: Programme = Depends(programme_in_scope(Permission.cohort_manage))
) -> Response:
    return _minimum_page(request, db, programme)


@router.post("/opleidingen/{programme_id}/praktijkuren")
def set_programme_hours(
    request: Request,
    minimum_hours: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.cohort_manage)),
    programme: Programme = Depends(programme_in_scope(Permission.cohort_manage)),
) -> Response:
    try:
        hours = hours_service.parse_minimum(minimum_hours)
        hours_service.set_programme_minimum(db, programme_id=programme.id or 0, hours=hours, actor_id=actor.id)
    except InvalidInput as exc:
        return _minimum_page(request, db, programme, value=minimum_hours[:20], error=exc.message)
    if hours is None:
        notice = lazy("%(programme)s volgt nu het minimum aantal praktijkuren van het kader.", programme=programme.name)
    else:
        notice = lazy(
            "Het minimum voor %(programme)s is nu %(hours)s goedgekeurde praktijkuren.",
            programme=programme.name,
            hours=str(hours),
        )
    return redirect_with_notice(f"/opleidingen/{programme.id}/praktijkuren", notice, request)
