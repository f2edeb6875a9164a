"""The decision itself: who decides, one request, several at once or all of a student's, and what was decided.

A decision is one append-only `SignOff` row per submission. The unique constraint on `submission_id`
and a guarded update of the slot make a double click, a second tab or a second supervisor a clean 409.
"""

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import events
from app.accounts.models import User
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts import guidance
from app.cohorts.models import Enrolment
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.evidence import service as evidence
from app.evidence.models import Slot, SlotStatus, Submission
from app.i18n import N_
from app.notifications import service as notifications
from app.signoff.models import Decision, SignOff
from app.signoff.pending import NOT_YOURS, open_submissions, own_submission_and_student, supervised_ids

DECISION_LABELS = {
    Decision.afgetekend: "afgetekend: in de praktijk aangetoond",
    Decision.terug: "terug voor aanpassing",
    Decision.niet_mogelijk: "niet mogelijk op deze werkplek",
}


@dataclass(frozen=True)
class Decider:
    """Whoever decides: a signed-in praktijkbegeleider or one who came through a link."""

    user_id: int
    name: str
    email: str
    function: str | None = None
    via_link_id: int | None = None


def decider_for(session: Session, *, actor: Actor) -> Decider:
    user = session.get(User, actor.id)
    assert user is not None
    return Decider(user_id=actor.id, name=user.name, email=user.email, function=user.function)


class _AlreadyDecided(Exception):
    pass


def decide(
    session: Session,
    *,
    decider: Decider,
    submission_id: int,
    decision: str,
    comment: str = "",
    settings: Settings | None = None,
) -> SignOff:
    # Whose request it is comes first: someone else learns nothing, not even that the input was wrong.
    submission, student = own_submission_and_student(
        session, supervisor_id=decider.user_id, submission_id=submission_id
    )
    # Only an approved, active assignment judges: a proposal or an ended one is "not yours" too.
    assignment_id = guidance.active_assignment_id(
        session, student_id=submission.student_id, supervisor_id=decider.user_id
    )
    if assignment_id is None:
        raise NotFound(NOT_YOURS)
    events.before_portfolio_change(session, student_id=submission.student_id)
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InvalidInput(
            N_("Kies aftekenen, terug voor aanpassing of niet mogelijk op deze werkplek."), field="besluit"
        ) from None
    comment = comment.strip()
    if chosen is Decision.terug and not comment:
        raise InvalidInput(
            N_("Schrijf bij 'terug voor aanpassing' wat de student moet aanpassen."), field="toelichting"
        )
    if chosen is Decision.niet_mogelijk and not comment:
        raise InvalidInput(N_("Geef aan waarom dit op deze werkplek niet mogelijk is."), field="toelichting")
    if len(comment) > 4000:
        raise InvalidInput(N_("De toelichting is te lang (hoogstens 4000 tekens)."), field="toelichting")
    if decider.user_id == submission.student_id:
        # Separation of duties: nobody signs off their own work.
        raise Forbidden(N_("U kunt uw eigen werk niet aftekenen."))
    sign_off = SignOff(
        submission_id=submission.id or 0,
        student_id=submission.student_id,
        eindterm_code=submission.eindterm_code,
        decision=chosen.value,
        comment=comment,
        decided_by_id=decider.user_id,
        decided_by_name=decider.name,
        decided_by_email=decider.email,
        decided_by_function=decider.function,
        via_link_id=decider.via_link_id,
        assignment_id=assignment_id,
    )
    try:
        with session.begin_nested():
            session.add(sign_off)
            session.flush()
            moved = session.execute(
                update(Slot)
                .where(
                    col(Slot.submission_id) == submission.id,
                    col(Slot.status) == SlotStatus.ter_aftekening.value,
                )
                .values(status=chosen.value, last_activity_at=utcnow())
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise _AlreadyDecided()
    except (IntegrityError, _AlreadyDecided):
        raise Conflict(
            N_("Over dit verzoek is al besloten (misschien in een ander venster of door een collega).")
        ) from None
    audit.record(
        session,
        actor_id=decider.user_id,
        action=f"signoff.{chosen.value}",
        object_type="submission",
        object_id=submission.id,
        data={
            "eindterm": submission.eindterm_code,
            "student_id": submission.student_id,
            "via_link": decider.via_link_id is not None,
        },
        bind=[sign_off],
    )
    if settings is not None:
        notifications.queue_mail(
            session,
            to=student.email,
            subject=f"{submission.eindterm_code}: {DECISION_LABELS[chosen]}",
            body=(
                f"Beste {student.name},\n\n{decider.name} heeft uw inzending voor {submission.eindterm_code} "
                f"beoordeeld: {DECISION_LABELS[chosen]}.\n"
                + (f"\nToelichting:\n{comment}\n" if comment else "")
                + f"\nBekijk het in uw portfolio: {settings.base_url.rstrip('/')}/studenten/{student.id}/eindtermen/"
                f"{submission.eindterm_code}\n"
            ),
        )
    session.flush()
    return sign_off


def decide_many(
    session: Session, *, decider: Decider, submission_ids: list[int], confirmed: set[int], settings: Settings | None
) -> list[SignOff]:
    """Bulk aftekenen: every selected item needs its own confirmation tick; one missing tick signs nothing."""
    if not submission_ids:
        raise InvalidInput(N_("Kies minstens één verzoek om af te tekenen."))
    unconfirmed = [i for i in submission_ids if i not in confirmed]
    if unconfirmed:
        raise InvalidInput(
            N_("Bevestig bij elk gekozen verzoek dat het in de praktijk is aangetoond. Er is niets afgetekend.")
        )
    return [
        decide(session, decider=decider, submission_id=i, decision=Decision.afgetekend.value, settings=settings)
        for i in dict.fromkeys(submission_ids)
    ]


def decide_all_of_student(
    session: Session,
    *,
    decider: Decider,
    student_id: int,
    submission_ids: list[int],
    confirmed: bool,
    settings: Settings | None,
) -> list[SignOff]:
    """'Alles van <student> aftekenen': the requests the confirmation step showed, and only those of this student
    that still wait (one decided meanwhile, or another student's id slipped into the form, is left out). One tick
    confirms the group the praktijkbegeleider saw listed; `decide_many` then signs each one."""
    # Whose student it is comes first (someone else learns nothing), then the seal, as for a single decision.
    if session.exec(supervised_ids(decider.user_id).where(Enrolment.student_id == student_id)).first() is None:
        raise NotFound(NOT_YOURS)
    events.before_portfolio_change(session, student_id=student_id)
    waiting = {
        r.submission_id for r in open_submissions(session, supervisor_id=decider.user_id) if r.student_id == student_id
    }
    chosen = [i for i in dict.fromkeys(submission_ids) if i in waiting]
    if not confirmed:
        raise InvalidInput(
            N_("Bevestig dat alle getoonde verzoeken in de praktijk zijn aangetoond. Er is niets afgetekend.")
        )
    return decide_many(session, decider=decider, submission_ids=chosen, confirmed=set(chosen), settings=settings)


def slot_history(session: Session, *, student_id: int, code: str) -> list[tuple[Submission, SignOff | None]]:
    submissions = evidence.submissions_for_slot(session, student_id=student_id, code=code)
    decisions = {
        s.submission_id: s
        for s in session.exec(
            select(SignOff).where(col(SignOff.submission_id).in_([x.id for x in submissions] or [0]))
        ).all()
    }
    return [(s, decisions.get(s.id or 0)) for s in submissions]


def not_possible_in_cohort(session: Session, *, cohort_id: int, limit: int | None = None) -> list[tuple[User, SignOff]]:
    """'Niet mogelijk op deze werkplek' decisions that are the slot's current state, for the coordinator
    (the oldest `limit` of them if given)."""
    rows = session.exec(
        select(User, SignOff)
        .join(Enrolment, col(Enrolment.student_id) == User.id)
        .join(Slot, col(Slot.student_id) == User.id)
        .join(SignOff, col(SignOff.submission_id) == Slot.submission_id)
        .where(Enrolment.cohort_id == cohort_id, Slot.status == SlotStatus.niet_mogelijk.value)
        .order_by(col(SignOff.decided_at))
        .limit(limit)
    ).all()
    return [(u, s) for u, s in rows]
