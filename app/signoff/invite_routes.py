"""Who guides a student in practice: a student's voorstel, a coordinator's invitation, revoking a supervisor's links."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import guidance
from app.cohorts.models import Cohort
from app.db import DB, RowId
from app.deps import cohort_in_scope
from app.errors import InvalidInput
from app.i18n import N_, lazy, lazy_n
from app.responses import done
from app.signoff import service
from app.web import require, settings_of

router = APIRouter()


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
    return done(request, "/portfolio", sent)


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
    return done(request, f"/studenten/{student_id}", lazy("Uitnodiging verstuurd naar %(email)s.", email=email.strip()))


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
    return done(request, f"/studenten/{student_id}", notice)
