"""Aftekenen: the praktijkbegeleider's list and review, the same pages signed in (`/aftekenen`, here) and through a
personal link (`/link/<token>`, app.signoff.link_routes): each page is written once, as an endpoint for a portal."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.db import DB, RowId, parse_row_id
from app.deps import Portal, portal_used, registry_of, signed_in_portal
from app.errors import InvalidInput, NotFound
from app.hours import service as hours
from app.i18n import Lazy, lazy, lazy_n
from app.privacy.access import log_link_view, log_view
from app.responses import done, refused_in_place, shown_in_place
from app.signoff import service
from app.web import is_htmx, redirect, render, settings_of

router = APIRouter()
Endpoint = Callable[..., object]
PortalOf = Callable[..., Portal]


def _page_number(request: Request, form: dict[str, list[str]] | None = None) -> int:
    raw = (form or {}).get("pagina", [None])[0] or request.query_params.get("pagina")
    return parse_row_id(raw) or 1


def client_page(
    request: Request, db: Session, portal: Portal, status_code: int = 200, page: int = 1, **extra: object
) -> Response:
    if portal.needs_identity:
        # The welcome page says for whom and for which opleiding before asking who they are.
        supervised = service.supervised_students(db, supervisor_id=portal.decider.user_id)
        context = {"portal": portal, "supervised": supervised, **extra}
        return render(request, "signoff/confirm.html", context, status_code=status_code)
    items = service.pending_for(db, supervisor_id=portal.decider.user_id, registry=registry_of(request))
    listing = service.group_pending(items, page=page)
    programmes: list[str] = []
    if portal.link is not None:
        for s in service.supervised_students(db, supervisor_id=portal.decider.user_id):
            school = f"{s.programme} ({s.institution})" if s.institution else s.programme
            if school not in programmes:
                programmes.append(school)
    # Praktijkuren wait in the same place, per student and week (one query).
    hours_weeks = hours.pending_weeks_for(db, supervisor_id=portal.decider.user_id)
    context = {
        "portal": portal,
        "listing": listing,
        "programmes": programmes,
        "hours_weeks": hours_weeks,
        **extra,
    }
    return render(request, "signoff/pending.html", context, status_code=status_code)


def _signed_off(count: int) -> Lazy:
    return lazy_n("%(num)d verzoek afgetekend.", "%(num)d verzoeken afgetekend.", count)


def _bulk(request: Request, db: Session, portal: Portal, form: dict[str, list[str]]) -> Response:
    if portal.needs_identity:
        return done(request, portal.base)
    ids = [i for i in map(parse_row_id, form.get("verzoek", [])) if i is not None]
    ticked = (parse_row_id(k.removeprefix("bevestig_")) for k in form if k.startswith("bevestig_"))
    confirmed = {i for i in ticked if i is not None}
    made = service.decide_many(
        db, decider=portal.decider, submission_ids=ids, confirmed=confirmed, settings=settings_of(request)
    )
    portal_used(request, db, portal)
    page = _page_number(request, form)
    return shown_in_place(request, lambda: client_page(request, db, portal, page=page), notice=_signed_off(len(made)))


def _bulk_student(
    request: Request, db: Session, portal: Portal, student_id: int, form: dict[str, list[str]]
) -> Response:
    """'Alles van <student> aftekenen': first a confirmation step that lists exactly what will be signed off (the
    per-item bulk asks for a tick per request; here one tick confirms the listed group), then `decide_many`."""
    if portal.needs_identity:
        return done(request, portal.base)
    page = _page_number(request, form)
    if form.get("stap", [""])[0] != "bevestigen":
        items = service.pending_for(db, supervisor_id=portal.decider.user_id, registry=registry_of(request))
        group = [i for i in items if i.student_id == student_id]
        if not group:
            raise NotFound(service.NOT_YOURS)
        context = {"portal": portal, "student_id": student_id, "items": group, "page": page}
        return render(request, "signoff/confirm_all.html", context)
    made = service.decide_all_of_student(
        db,
        decider=portal.decider,
        student_id=student_id,
        submission_ids=[i for i in map(parse_row_id, form.get("verzoek", [])) if i is not None],
        confirmed=form.get("bevestig_alle", [""])[0] == "ja",
        settings=settings_of(request),
    )
    portal_used(request, db, portal)
    return shown_in_place(
        request,
        lambda: client_page(request, db, portal, page=page),
        notice=_signed_off(len(made)),
        push_url=portal.base + (f"?pagina={page}" if page > 1 else ""),
    )


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [str(v) for v in form.getlist(key)] for key in form}


def _review(request: Request, db: Session, portal: Portal, submission_id: int, **extra: object) -> Response:
    if portal.needs_identity:
        return redirect(portal.base)
    view = service.review(
        db, supervisor_id=portal.decider.user_id, submission_id=submission_id, registry=registry_of(request)
    )
    student_id = view.student.id or 0
    if portal.link is not None:
        if request.method != "HEAD":  # a mail scanner's HEAD is not the praktijkbegeleider looking
            log_link_view(
                db,
                supervisor_id=portal.decider.user_id,
                student_id=student_id,
                kind="aftekenverzoek",
                object_id=submission_id,
            )
    else:
        log_view(request, db, student_id=student_id, kind="aftekenverzoek", object_id=submission_id)
    return render(request, "signoff/review.html", {"portal": portal, "view": view, **extra})


def _decide(
    request: Request, db: Session, portal: Portal, submission_id: int, besluit: str, toelichting: str
) -> Response:
    if portal.needs_identity:
        return done(request, portal.base)
    try:
        service.decide(
            db,
            decider=portal.decider,
            submission_id=submission_id,
            decision=besluit,
            comment=toelichting,
            settings=settings_of(request),
        )
    except InvalidInput as refused:
        # Without HTMX: the same page again, the choice and the text kept (decide refuses before it writes).
        def again() -> Response:
            return _review(request, db, portal, submission_id, chosen=besluit, toelichting=toelichting)

        return refused_in_place(request, "besluit-fout", refused, again)
    portal_used(request, db, portal)
    notice = lazy("Uw besluit is vastgelegd.")
    if is_htmx(request):
        return shown_in_place(request, lambda: client_page(request, db, portal), notice=notice, push_url=portal.base)
    return done(request, portal.base)


# --- each page once, for either portal (app.signoff.link_routes registers the link's) ---------------------------


def pending_endpoint(portal_of: PortalOf) -> Endpoint:
    def pending(request: Request, db: Session = DB, portal: Portal = Depends(portal_of)) -> Response:
        return client_page(request, db, portal, page=_page_number(request))

    return pending


def bulk_endpoint(portal_of: PortalOf) -> Endpoint:
    async def bulk_sign(request: Request, db: Session = DB, portal: Portal = Depends(portal_of)) -> Response:
        return _bulk(request, db, portal, await _form(request))

    return bulk_sign


def bulk_student_endpoint(portal_of: PortalOf) -> Endpoint:
    async def bulk_sign_student(
        request: Request, student_id: RowId, db: Session = DB, portal: Portal = Depends(portal_of)
    ) -> Response:
        return _bulk_student(request, db, portal, student_id, await _form(request))

    return bulk_sign_student


def notification_choice_endpoint(portal_of: PortalOf) -> Endpoint:
    def notification_choice(
        request: Request,
        dagoverzicht: Annotated[str, Form()] = "",
        db: Session = DB,
        portal: Portal = Depends(portal_of),
    ) -> Response:
        service.set_digest(db, supervisor_id=portal.decider.user_id, daily=dagoverzicht == "ja")
        return done(request, portal.base)

    return notification_choice


def review_endpoint(portal_of: PortalOf) -> Endpoint:
    def review_page(
        request: Request, submission_id: RowId, db: Session = DB, portal: Portal = Depends(portal_of)
    ) -> Response:
        return _review(request, db, portal, submission_id)

    return review_page


def decide_endpoint(portal_of: PortalOf) -> Endpoint:
    def decide(
        request: Request,
        submission_id: RowId,
        besluit: Annotated[str, Form()] = "",
        toelichting: Annotated[str, Form()] = "",
        db: Session = DB,
        portal: Portal = Depends(portal_of),
    ) -> Response:
        return _decide(request, db, portal, submission_id, besluit, toelichting)

    return decide


# --- signed in ----------------------------------------------------------------------------------------------

router.get("/aftekenen", name="pending")(pending_endpoint(signed_in_portal))
router.post("/aftekenen", name="bulk_sign")(bulk_endpoint(signed_in_portal))
router.post("/aftekenen/studenten/{student_id}/alles", name="bulk_sign_student")(
    bulk_student_endpoint(signed_in_portal)
)
router.post("/aftekenen/meldingen", name="notification_choice")(notification_choice_endpoint(signed_in_portal))
router.get("/aftekenen/{submission_id}", name="review_page")(review_endpoint(signed_in_portal))
router.post("/aftekenen/{submission_id}", name="decide")(decide_endpoint(signed_in_portal))
