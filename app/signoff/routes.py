"""Aftekenen: the praktijkbegeleider's list and review, signed in or through a personal link."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import guidance
from app.cohorts.models import Cohort
from app.db import DB, RowId, parse_row_id
from app.deps import Portal, cohort_in_scope, link_portal, registry_of, signed_in_portal
from app.errors import InvalidInput, NotFound
from app.evidence import service as evidence
from app.hours import service as hours
from app.i18n import N_, lazy, lazy_n
from app.privacy.access import log_link_view, log_view
from app.responses import file_response
from app.signoff import service
from app.web import is_htmx, public, redirect, redirect_with_notice, refuse, render, require, settings_of

router = APIRouter()


def _page_number(request: Request, form: dict[str, list[str]] | None = None) -> int:
    raw = (form or {}).get("pagina", [None])[0] or request.query_params.get("pagina")
    return parse_row_id(raw) or 1


def _client_page(
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


def _bulk(request: Request, db: Session, portal: Portal, form: dict[str, list[str]]) -> Response:
    if portal.needs_identity:
        return redirect(portal.base, request)
    ids = [i for i in map(parse_row_id, form.get("verzoek", [])) if i is not None]
    ticked = (parse_row_id(k.removeprefix("bevestig_")) for k in form if k.startswith("bevestig_"))
    confirmed = {i for i in ticked if i is not None}
    made = service.decide_many(
        db, decider=portal.decider, submission_ids=ids, confirmed=confirmed, settings=settings_of(request)
    )
    if portal.link is not None:
        service.mark_used(db, link=portal.link, settings=settings_of(request))
    request.state.notice = lazy_n("%(num)d verzoek afgetekend.", "%(num)d verzoeken afgetekend.", len(made))
    return _client_page(request, db, portal, page=_page_number(request, form))


def _bulk_student(
    request: Request, db: Session, portal: Portal, student_id: int, form: dict[str, list[str]]
) -> Response:
    """'Alles van <student> aftekenen': first a confirmation step that lists exactly what will be signed off (the
    per-item bulk asks for a tick per request; here one tick confirms the listed group), then `decide_many`."""
    if portal.needs_identity:
        return redirect(portal.base, request)
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
    if portal.link is not None:
        service.mark_used(db, link=portal.link, settings=settings_of(request))
    request.state.notice = lazy_n("%(num)d verzoek afgetekend.", "%(num)d verzoeken afgetekend.", len(made))
    response = _client_page(request, db, portal, page=page)
    response.headers["HX-Push-Url"] = portal.base + (f"?pagina={page}" if page > 1 else "")
    return response


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [str(v) for v in form.getlist(key)] for key in form}


# --- signed in ----------------------------------------------------------------------------------------------


@router.get("/aftekenen")
def pending(request: Request, db: Session = DB, portal: Portal = Depends(signed_in_portal)) -> Response:
    return _client_page(request, db, portal, page=_page_number(request))


@router.post("/aftekenen")
async def bulk_sign(request: Request, db: Session = DB, portal: Portal = Depends(signed_in_portal)) -> Response:
    return _bulk(request, db, portal, await _form(request))


@router.post("/aftekenen/studenten/{student_id}/alles")
async def bulk_sign_student(
    request: Request, student_id: RowId, db: Session = DB, portal: Portal = Depends(signed_in_portal)
) -> Response:
    return _bulk_student(request, db, portal, student_id, await _form(request))


@router.post("/aftekenen/meldingen")
def notification_choice(
    request: Request,
    dagoverzicht: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(signed_in_portal),
) -> Response:
    service.set_digest(db, supervisor_id=portal.decider.user_id, daily=dagoverzicht == "ja")
    return redirect(portal.base, request)


@router.get("/aftekenen/{submission_id}")
def review_page(
    request: Request, submission_id: RowId, db: Session = DB, portal: Portal = Depends(signed_in_portal)
) -> Response:
    return _review(request, db, portal, submission_id)


@router.post("/aftekenen/{submission_id}")
def decide(
    request: Request,
    submission_id: RowId,
    besluit: Annotated[str, Form()] = "",
    toelichting: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(signed_in_portal),
) -> Response:
    return _decide(request, db, portal, submission_id, besluit, toelichting)


def _review(
    request: Request, db: Session, portal: Portal, submission_id: int, status_code: int = 200, **extra: object
) -> Response:
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
    return render(request, "signoff/review.html", {"portal": portal, "view": view, **extra}, status_code=status_code)


def _decide(
    request: Request, db: Session, portal: Portal, submission_id: int, besluit: str, toelichting: str
) -> Response:
    if portal.needs_identity:
        return redirect(portal.base, request)
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
        if is_htmx(request):
            raise  # into the form's message area (app.main._error_response, static/app.js)
        # Without HTMX: the same page again, the choice and the text kept, the message next to the button.
        # (decide refuses input before it writes anything.)
        refuse(request, "besluit-fout", refused)
        return _review(
            request,
            db,
            portal,
            submission_id,
            status_code=refused.status_code,
            chosen=besluit,
            toelichting=toelichting,
        )
    if portal.link is not None:
        service.mark_used(db, link=portal.link, settings=settings_of(request))
    if is_htmx(request):
        request.state.notice = lazy("Uw besluit is vastgelegd.")
        response = _client_page(request, db, portal)
        response.headers["HX-Push-Url"] = portal.base
        return response
    return redirect(portal.base)


# --- through a link (no account) ------------------------------------------------------------------------------


@router.api_route("/link/{token}", methods=["GET", "HEAD"], dependencies=[Depends(public)], include_in_schema=False)
def link_home(request: Request, db: Session = DB, portal: Portal = Depends(link_portal)) -> Response:
    return _client_page(request, db, portal, page=_page_number(request))


@router.post("/link/{token}", dependencies=[Depends(public)])
async def link_bulk(request: Request, db: Session = DB, portal: Portal = Depends(link_portal)) -> Response:
    return _bulk(request, db, portal, await _form(request))


@router.post("/link/{token}/studenten/{student_id}/alles", dependencies=[Depends(public)])
async def link_bulk_student(
    request: Request, student_id: RowId, db: Session = DB, portal: Portal = Depends(link_portal)
) -> Response:
    return _bulk_student(request, db, portal, student_id, await _form(request))


@router.post("/link/{token}/bevestigen", dependencies=[Depends(public)])
def link_confirm(
    request: Request,
    naam: Annotated[str, Form()] = "",
    functie: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(link_portal),
) -> Response:
    assert portal.link is not None
    service.confirm_identity(db, link=portal.link, name=naam, function=functie)
    return redirect(portal.base, request)


@router.post("/link/{token}/account", dependencies=[Depends(public)])
def link_account(
    request: Request,
    wachtwoord: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(link_portal),
) -> Response:
    assert portal.link is not None
    service.turn_into_account(db, link=portal.link, password=wachtwoord)
    request.state.notice = lazy("Uw account is aangemaakt. U kunt voortaan ook inloggen met uw e-mailadres.")
    return _client_page(request, db, portal)


@router.post("/link/{token}/meldingen", dependencies=[Depends(public)])
def link_notification_choice(
    request: Request,
    dagoverzicht: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(link_portal),
) -> Response:
    service.set_digest(db, supervisor_id=portal.decider.user_id, daily=dagoverzicht == "ja")
    return redirect(portal.base, request)


@router.api_route(
    "/link/{token}/verzoeken/{submission_id}",
    methods=["GET", "HEAD"],
    dependencies=[Depends(public)],
    include_in_schema=False,
)
def link_review(
    request: Request, submission_id: RowId, db: Session = DB, portal: Portal = Depends(link_portal)
) -> Response:
    return _review(request, db, portal, submission_id)


@router.post("/link/{token}/verzoeken/{submission_id}", dependencies=[Depends(public)])
def link_decide(
    request: Request,
    submission_id: RowId,
    besluit: Annotated[str, Form()] = "",
    toelichting: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(link_portal),
) -> Response:
    return _decide(request, db, portal, submission_id, besluit, toelichting)


@router.api_route(
    "/link/{token}/bestanden/{blob_id}",
    methods=["GET", "HEAD"],
    dependencies=[Depends(public)],
    include_in_schema=False,
)
def link_file(request: Request, blob_id: RowId, db: Session = DB, portal: Portal = Depends(link_portal)) -> Response:
    """A file of a submitted version, for the link's praktijkbegeleider only (same checks as a signed-in one)."""
    actor = accounts.actor_for(db, user_id=portal.decider.user_id)
    blob = evidence.visible_blob(db, actor=actor, blob_id=blob_id)
    if request.method != "HEAD":
        log_link_view(
            db, supervisor_id=portal.decider.user_id, student_id=blob.student_id, kind="bestand", object_id=blob.id
        )
    return file_response(request.app.state.storage, blob, inline=False)


@router.get("/aftekenlink", dependencies=[Depends(public)])
def new_link_form(request: Request) -> Response:
    return render(request, "signoff/new_link.html", {})


@router.post("/aftekenlink", dependencies=[Depends(public)])
def new_link(request: Request, email: Annotated[str, Form()] = "", db: Session = DB) -> Response:
    """A lost link asked for again. The same answer for any address; shares the login limit (as the password
    reset does), so that the form cannot be used to fill someone's inbox."""
    client = request.client.host if request.client else "onbekend"
    settings = settings_of(request)
    if not accounts.authenticate_limit_reached(db, email=email, client=client, settings=settings):
        service.request_new_link(db, email=email, settings=settings)
        accounts.record_failed_attempt(db, email=email, client=client)
    return render(request, "signoff/new_link.html", {"sent": True})


# --- inviting and revoking -------------------------------------------------------------------------------------


@router.post("/portfolio/praktijkbegeleider")
def propose_own_supervisor(
    request: Request,
    naam: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    functie: Annotated[str, Form()] = "",
    werkplek: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.supervisor_propose)),
) -> Response:
    """A voorstel only: the opleiding approves it. Known and unknown addresses get the same answer."""
    guidance.propose(db, actor=actor, name=naam, email=email, function=functie, workplace=werkplek)
    sent = lazy("Uw voorstel is verstuurd. De opleiding keurt het goed voordat er iets wordt gekoppeld.")
    return redirect_with_notice("/portfolio", sent, request)


@router.post("/cohorten/{cohort_id}/studenten/{student_id}/uitnodigen")
def invite_for_student(
    request: Request,
    student_id: RowId,
    naam: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    functie: Annotated[str, Form()] = "",
    bevestig_rol: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.supervisor_invite)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.supervisor_invite)),
) -> Response:
    guidance.invite(
        db,
        actor=actor,
        cohort=cohort,
        student_id=student_id,
        name=naam,
        email=email,
        function=functie,
        confirm_role=bevestig_rol == "ja",
        settings=settings_of(request),
    )
    return redirect_with_notice(
        f"/studenten/{student_id}", lazy("Uitnodiging verstuurd naar %(email)s.", email=email.strip()), request
    )


@router.post("/cohorten/{cohort_id}/studenten/{student_id}/links-intrekken")
def revoke_links(
    request: Request,
    student_id: RowId,
    bevestig: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assignment_manage)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.assignment_manage)),
) -> Response:
    if bevestig != "ja":  # destructive: open links stop working at once; the form asks to confirm
        raise InvalidInput(N_("Vink aan dat u de persoonlijke links wilt intrekken."))
    supervisor_id = service.current_supervisor_id(db, cohort_id=cohort.id or 0, student_id=student_id)
    revoked = service.revoke_links(db, supervisor_id=supervisor_id, actor_id=actor.id)
    notice = lazy_n("%(num)d aftekenlink ingetrokken.", "%(num)d aftekenlinks ingetrokken.", revoked)
    return redirect_with_notice(f"/studenten/{student_id}", notice, request)
