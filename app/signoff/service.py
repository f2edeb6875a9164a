"""Aftekening: what waits for a praktijkbegeleider, the decision itself, and account-free links.

A decision is one append-only `SignOff` row per submission. The unique constraint on `submission_id`
and a guarded update of the slot make a double click, a second tab or a second supervisor a clean 409.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import events
from app.accounts import service as accounts
from app.accounts.models import LoginAttempt, User
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts import guidance
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator
from app.config import Settings
from app.db import as_utc, utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from app.evidence import service as evidence
from app.evidence.models import Blob, EvidenceLink, EvidenceVersion, Slot, SlotStatus, Submission
from app.framework import service as framework_service
from app.framework.registry import FrameworkRegistry
from app.framework.service import Statement
from app.hours import reminders as hours_reminders
from app.i18n import N_
from app.notifications import service as notifications
from app.signoff.models import Decision, Reminder, SignOff, SupervisorLink

LINK_GONE = N_(
    "Deze link is ongeldig, verlopen of ingetrokken. Vraag een nieuwe aan op /aftekenlink, of vraag de student of de "
    "opleiding erom."
)
NOT_YOURS = N_("Dit verzoek bestaat niet of staat niet (meer) voor u klaar.")
DECISION_LABELS = {
    Decision.afgetekend: "afgetekend: in de praktijk aangetoond",
    Decision.terug: "terug voor aanpassing",
    Decision.niet_mogelijk: "niet mogelijk op deze werkplek",
}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


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


# --- what waits ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingItem:
    submission_id: int
    eindterm_code: str
    submitted_at: datetime
    student_id: int
    student_name: str
    statement: Statement | None  # None: the eindterm is not in the framework version it was submitted under
    waiting_days: int


def _supervised(supervisor_id: int):  # type: ignore[no-untyped-def]
    """Students whose current praktijkbegeleider this is: requests follow the student if the supervisor changes."""
    return select(Enrolment.student_id).where(Enrolment.supervisor_id == supervisor_id)


class OpenRequest(NamedTuple):
    submission_id: int
    eindterm_code: str
    submitted_at: datetime
    framework_id: str
    framework_version: str
    student_id: int
    student_name: str


# Built once, plain columns: a praktijkbegeleider may have a hundred requests waiting, and their list is the page
# they open on a phone.
_OPEN_REQUESTS = (
    sa_select(
        col(Submission.id),
        col(Submission.eindterm_code),
        col(Submission.submitted_at),
        col(Submission.framework_id),
        col(Submission.framework_version),
        col(User.id),
        col(User.name),
    )
    .join(Slot, col(Slot.submission_id) == Submission.id)
    .join(User, col(User.id) == Submission.student_id)
    .where(
        col(Submission.student_id).in_(
            sa_select(col(Enrolment.student_id)).where(col(Enrolment.supervisor_id) == bindparam("supervisor_id"))
        ),
        col(Slot.status) == SlotStatus.ter_aftekening.value,
    )
    .order_by(col(Submission.submitted_at), col(Submission.id))
)


def _open_submissions(session: Session, *, supervisor_id: int) -> list[OpenRequest]:
    """Undecided submissions (the slot's current one) of this supervisor's trainees, oldest first."""
    rows = session.connection().execute(_OPEN_REQUESTS, {"supervisor_id": supervisor_id})
    return [OpenRequest._make(row) for row in rows]


def _statement(registry: FrameworkRegistry, framework_id: str, version: str, code: str) -> Statement | None:
    try:
        return framework_service.statement(registry.get(framework_id, version), code)
    except KeyError:
        return None


def pending_for(
    session: Session, *, supervisor_id: int, registry: FrameworkRegistry, now: datetime | None = None
) -> list[PendingItem]:
    now = now or utcnow()
    items = []
    for request in _open_submissions(session, supervisor_id=supervisor_id):
        statement = _statement(registry, request.framework_id, request.framework_version, request.eindterm_code)
        items.append(
            PendingItem(
                submission_id=request.submission_id,
                eindterm_code=request.eindterm_code,
                submitted_at=request.submitted_at,
                student_id=request.student_id,
                student_name=request.student_name,
                statement=statement,
                waiting_days=(now - as_utc(request.submitted_at)).days,
            )
        )
    return items


STUDENTS_PER_PAGE = 10


@dataclass(frozen=True)
class StudentGroup:
    """One student's open requests, oldest first: the unit a praktijkbegeleider with many requests works through."""

    student_id: int
    student_name: str
    items: list[PendingItem]


@dataclass(frozen=True)
class PendingPage:
    groups: list[StudentGroup]
    page: int
    pages: int
    students: int
    total: int


def group_pending(items: list[PendingItem], *, page: int = 1, per_page: int = STUDENTS_PER_PAGE) -> PendingPage:
    """Requests grouped per student (the student whose request waits longest first), a page of students at a time.
    A page past the end shows the last one: after signing off a whole group the list may have become shorter."""
    by_student: dict[int, list[PendingItem]] = {}
    for item in items:  # oldest first, so a student's first appearance is their longest wait
        by_student.setdefault(item.student_id, []).append(item)
    groups = [StudentGroup(student_id=k, student_name=v[0].student_name, items=v) for k, v in by_student.items()]
    pages = max(1, math.ceil(len(groups) / per_page))
    page = min(max(page, 1), pages)
    return PendingPage(
        groups=groups[(page - 1) * per_page : page * per_page],
        page=page,
        pages=pages,
        students=len(groups),
        total=len(items),
    )


@dataclass(frozen=True)
class Supervised:
    student_id: int
    student_name: str
    programme: str
    institution: str | None
    open_requests: int


def supervised_students(session: Session, *, supervisor_id: int) -> list[Supervised]:
    """Whom this praktijkbegeleider guides and for which opleiding, with their open requests: the link's welcome
    page names them, so that a praktijkbegeleider knows what the mail is about before confirming who they are."""
    rows = session.exec(
        select(User.id, User.name, Programme.name, Programme.institution)
        .select_from(Enrolment)
        .join(User, col(User.id) == Enrolment.student_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .join(Programme, col(Programme.id) == Cohort.programme_id)
        .where(Enrolment.supervisor_id == supervisor_id, col(Enrolment.left_at).is_(None))
        .order_by(col(User.name), col(User.id))
    ).all()
    open_counts: dict[int, int] = {}
    for request in _open_submissions(session, supervisor_id=supervisor_id):
        open_counts[request.student_id] = open_counts.get(request.student_id, 0) + 1
    return [
        Supervised(
            student_id=sid or 0,
            student_name=name,
            programme=programme,
            institution=institution,
            open_requests=open_counts.get(sid or 0, 0),
        )
        for sid, name, programme, institution in rows
    ]


@dataclass(frozen=True)
class ReviewItem:
    version: EvidenceVersion
    justification: str
    files: list[Blob]


@dataclass(frozen=True)
class Review:
    submission: Submission
    student: User
    statement: Statement | None
    items: list[ReviewItem]
    decision: SignOff | None


def own_submission(session: Session, *, supervisor_id: int, submission_id: int) -> Submission:
    return _own_submission_and_student(session, supervisor_id=supervisor_id, submission_id=submission_id)[0]


def _own_submission_and_student(session: Session, *, supervisor_id: int, submission_id: int) -> tuple[Submission, User]:
    """The submission if it waits for this supervisor, with its student: one query."""
    row = session.exec(
        select(Submission, User)
        .join(User, col(User.id) == Submission.student_id)
        .where(Submission.id == submission_id, col(Submission.student_id).in_(_supervised(supervisor_id)))
    ).first()
    if row is None:
        raise NotFound(NOT_YOURS)
    return row[0], row[1]


def review(session: Session, *, supervisor_id: int, submission_id: int, registry: FrameworkRegistry) -> Review:
    """Exactly the versions that were submitted: the eindterm, evidence, files, reflection and onderbouwing."""
    submission = own_submission(session, supervisor_id=supervisor_id, submission_id=submission_id)
    student = session.get(User, submission.student_id)
    assert student is not None
    versions = session.exec(
        select(EvidenceVersion).where(col(EvidenceVersion.id).in_(submission.version_ids or [0]))
    ).all()
    files = evidence.files_of_versions(session, version_ids=[v.id or 0 for v in versions])
    justifications = {
        link.version_id: link.justification
        for link in session.exec(
            select(EvidenceLink).where(
                col(EvidenceLink.version_id).in_(submission.version_ids or [0]),
                EvidenceLink.eindterm_code == submission.eindterm_code,
            )
        ).all()
    }
    statement = _statement(registry, submission.framework_id, submission.framework_version, submission.eindterm_code)
    decision = session.exec(select(SignOff).where(SignOff.submission_id == submission.id)).first()
    return Review(
        submission=submission,
        student=student,
        statement=statement,
        items=[
            ReviewItem(version=v, justification=justifications.get(v.id or 0, ""), files=files.get(v.id or 0, []))
            for v in versions
        ],
        decision=decision,
    )


# --- deciding --------------------------------------------------------------------------------------------


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
    submission, student = _own_submission_and_student(
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


class _AlreadyDecided(Exception):
    pass


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
    if session.exec(_supervised(decider.user_id).where(Enrolment.student_id == student_id)).first() is None:
        raise NotFound(NOT_YOURS)
    events.before_portfolio_change(session, student_id=student_id)
    waiting = {
        r.submission_id for r in _open_submissions(session, supervisor_id=decider.user_id) if r.student_id == student_id
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


# --- links for praktijkbegeleiders without an account -----------------------------------------------------------


def create_link(session: Session, *, supervisor_id: int, created_by_id: int | None, settings: Settings) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits: not guessable, and only its hash is stored
    session.add(
        SupervisorLink(
            token_hash=_digest(token),
            supervisor_id=supervisor_id,
            created_by_id=created_by_id,
            expires_at=utcnow() + timedelta(days=settings.supervisor_link_days),
        )
    )
    session.flush()
    return token


def active_link(session: Session, *, supervisor_id: int) -> SupervisorLink | None:
    """The supervisor's newest link that still works (not revoked, not expired), if any."""
    return session.exec(
        select(SupervisorLink)
        .where(
            SupervisorLink.supervisor_id == supervisor_id,
            col(SupervisorLink.revoked_at).is_(None),
            col(SupervisorLink.expires_at) > utcnow(),
        )
        .order_by(col(SupervisorLink.expires_at).desc(), col(SupervisorLink.id).desc())
    ).first()


def _extend(link: SupervisorLink, settings: Settings) -> None:
    link.expires_at = max(as_utc(link.expires_at), utcnow() + timedelta(days=settings.supervisor_link_days))


def link_or_reuse(
    session: Session, *, supervisor_id: int, created_by_id: int | None, settings: Settings
) -> str | SupervisorLink:
    """One active link per praktijkbegeleider. Tokens are stored hashed, so an existing link's address cannot be
    put in a new mail; rather than mail a fresh link for every request (which would pile up live links, and make
    the praktijkbegeleider wonder which one counts), a mail points to the link they already have and extends it
    by the usual term; it is extended on use too. Only when none works any more is a new one made (the raw token
    is returned, to be mailed). A lost link is asked for again at /aftekenlink; revoking still ends them all."""
    existing = active_link(session, supervisor_id=supervisor_id)
    if existing is None:
        return create_link(session, supervisor_id=supervisor_id, created_by_id=created_by_id, settings=settings)
    _extend(existing, settings)
    session.add(existing)
    session.flush()
    return existing


def reuse_text(settings: Settings, link: SupervisorLink) -> str:
    """The mail's line for a praktijkbegeleider who already has a working link (mails are Dutch, like the rest)."""
    return (
        f"Gebruik de persoonlijke link uit uw eerdere e-mail van ons; die is nu geldig tot "
        f"{as_utc(link.expires_at):%d-%m-%Y}.\n"
        f"Kunt u die e-mail niet meer vinden? Vraag hier een nieuwe link aan: "
        f"{settings.base_url.rstrip('/')}/aftekenlink"
    )


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/link/{token}"


def find_link(session: Session, *, token: str) -> tuple[SupervisorLink, User] | None:
    """The link and its supervisor if valid. Reading only: opening a link (GET/HEAD) changes nothing."""
    if len(token) > 200:
        return None
    row = session.exec(
        select(SupervisorLink, User)
        .join(User, col(User.id) == SupervisorLink.supervisor_id)
        .where(SupervisorLink.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    link, user = row
    if link.revoked_at is not None or as_utc(link.expires_at) <= utcnow() or not user.is_active:
        return None
    return link, user


def link_failures_exceeded(session: Session, *, client: str, settings: Settings) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    count = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.email_hash == _digest(accounts.LINK_FAILURE_EMAIL),
            LoginAttempt.client_hash == accounts.client_hash(client),
            col(LoginAttempt.at) >= since,
        )
    ).one()
    return count >= settings.link_max_failures


def record_link_failure(session: Session, *, client: str) -> None:
    session.add(LoginAttempt(email_hash=_digest(accounts.LINK_FAILURE_EMAIL), client_hash=accounts.client_hash(client)))
    session.flush()


def check_link_rate(session: Session, *, client: str, settings: Settings) -> None:
    if link_failures_exceeded(session, client=client, settings=settings):
        raise TooManyRequests(N_("Te veel ongeldige links geprobeerd. Probeer het later opnieuw."))


def identity_confirmed(user: User) -> bool:
    """Name and function are confirmed once per person: a second link of the same praktijkbegeleider does not ask."""
    return user.identity_confirmed_at is not None


def confirm_identity(session: Session, *, link: SupervisorLink, name: str, function: str) -> None:
    name, function = name.strip(), function.strip()
    if not name or len(name) > 200:
        raise InvalidInput(N_("Vul uw naam in."))
    if not function or len(function) > 200:
        raise InvalidInput(N_("Vul uw functie in."))
    user = session.get(User, link.supervisor_id)
    assert user is not None
    now = utcnow()
    user.name, user.function = name, function
    user.identity_confirmed_at = now
    link.confirmed_at = now  # through which link they confirmed
    session.add_all([user, link])
    audit.record(
        session, actor_id=user.id, action="supervisor_link.confirmed", object_type="supervisor_link", object_id=link.id
    )
    session.flush()


def mark_used(session: Session, *, link: SupervisorLink, settings: Settings | None = None) -> None:
    """A decision through the link: noted, and the link extended by the usual term (a link in use stays valid)."""
    link.last_used_at = utcnow()
    if settings is not None:
        _extend(link, settings)
    session.add(link)


def link_decider(link: SupervisorLink, user: User) -> Decider:
    return Decider(user_id=user.id or 0, name=user.name, email=user.email, function=user.function, via_link_id=link.id)


def revoke_links(session: Session, *, supervisor_id: int, actor_id: int) -> int:
    links = session.exec(
        select(SupervisorLink).where(
            SupervisorLink.supervisor_id == supervisor_id, col(SupervisorLink.revoked_at).is_(None)
        )
    ).all()
    for link in links:
        link.revoked_at = utcnow()
        session.add(link)
    audit.record(
        session,
        actor_id=actor_id,
        action="supervisor_link.revoked",
        object_type="user",
        object_id=supervisor_id,
        data={"links": len(links)},
    )
    session.flush()
    return len(links)


def request_new_link(session: Session, *, email: str, settings: Settings) -> None:
    """A praktijkbegeleider who lost the mail with their link asks for a new one: mailed if the address belongs
    to someone who currently guides a student; the caller answers the same either way. Earlier links keep working
    (losing a mail is no reason to end them; the opleiding can revoke them)."""
    user = accounts.get_user_by_email(session, email=email)
    if user is None or not user.is_active or user.id is None:
        return
    guides = session.exec(
        select(Enrolment.id).where(Enrolment.supervisor_id == user.id, col(Enrolment.left_at).is_(None))
    ).first()
    if guides is None:
        return
    token = create_link(session, supervisor_id=user.id, created_by_id=None, settings=settings)
    notifications.queue_mail(
        session,
        to=user.email,
        subject="Uw nieuwe persoonlijke link om af te tekenen",
        body=(
            f"Beste {user.name},\n\nU vroeg om een nieuwe persoonlijke link. Hiermee ziet u wat er voor u "
            f"klaarstaat:\n{link_url(settings, token)}\n\nDe link is {settings.supervisor_link_days} dagen geldig. "
            "Deel hem niet met anderen. Vroeg u hier niet om, dan kunt u deze e-mail negeren.\n"
        ),
    )
    audit.record(session, actor_id=None, action="supervisor_link.requested", object_type="user", object_id=user.id)
    session.flush()


def turn_into_account(session: Session, *, link: SupervisorLink, password: str) -> User:
    accounts.check_password_rules(password)
    user = session.get(User, link.supervisor_id)
    assert user is not None
    user.password_hash = accounts.hash_password(password)
    session.add(user)
    audit.record(
        session, actor_id=user.id, action="supervisor_link.account_created", object_type="user", object_id=user.id
    )
    session.flush()
    return user


def set_digest(session: Session, *, supervisor_id: int, daily: bool) -> None:
    user = session.get(User, supervisor_id)
    assert user is not None
    user.notify_daily_digest = daily
    session.add(user)
    session.flush()


# --- notifications: on submission, reminders, escalation, digest ------------------------------------------------


def _portal_line(session: Session, *, supervisor: User, settings: Settings) -> str:
    """Where the supervisor acts: their list if they can log in, else their personal link (a new one only when
    they have none that works; see `link_or_reuse`)."""
    if supervisor.password_hash:
        return f"{settings.base_url.rstrip('/')}/aftekenen"
    made = link_or_reuse(session, supervisor_id=supervisor.id or 0, created_by_id=None, settings=settings)
    return link_url(settings, made) if isinstance(made, str) else reuse_text(settings, made)


def notify_submitted(session: Session, *, submissions: list[Submission], settings: Settings) -> None:
    """Mail the praktijkbegeleider now, unless they chose the daily digest."""
    if not submissions:
        return
    supervisor = session.get(User, submissions[0].supervisor_id) if submissions[0].supervisor_id else None
    student = session.get(User, submissions[0].student_id)
    if supervisor is None or student is None or supervisor.notify_daily_digest:
        return
    codes = ", ".join(s.eindterm_code for s in submissions)
    notifications.queue_mail(
        session,
        to=supervisor.email,
        subject=f"Af te tekenen: {student.name} ({codes})",
        body=(
            f"Beste {supervisor.name},\n\n{student.name} vraagt u om af te tekenen: {codes}.\n"
            f"Bekijk en beslis hier:\n{_portal_line(session, supervisor=supervisor, settings=settings)}\n"
        ),
    )


def _coordinators_of(session: Session, *, student_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(ProgrammeCoordinator, col(ProgrammeCoordinator.user_id) == User.id)
            .join(Cohort, col(Cohort.programme_id) == ProgrammeCoordinator.programme_id)
            .join(Enrolment, col(Enrolment.cohort_id) == Cohort.id)
            .where(Enrolment.student_id == student_id, col(User.is_active).is_(True))
            .distinct()
        ).all()
    )


def _waiting(session: Session, *, older_than: datetime, kind: str) -> list[tuple[Submission, User, User | None]]:
    """Undecided current submissions older than the moment, without a `kind` reminder yet."""
    already = select(Reminder.submission_id).where(Reminder.kind == kind)
    rows = session.exec(
        select(Submission, User)
        .join(Slot, col(Slot.submission_id) == Submission.id)
        .join(User, col(User.id) == Submission.student_id)
        .where(
            Slot.status == SlotStatus.ter_aftekening.value,
            col(Submission.submitted_at) <= older_than,
            col(Submission.id).not_in(already),
        )
        .order_by(col(Submission.id))
    ).all()
    result = []
    for submission, student in rows:
        enrolments = cohorts.enrolments_of_student(session, student_id=student.id or 0)
        supervisor_id = enrolments[0][0].supervisor_id if enrolments else submission.supervisor_id
        result.append((submission, student, session.get(User, supervisor_id) if supervisor_id else None))
    return result


def send_reminders(session: Session, *, now: datetime, settings: Settings) -> tuple[int, int]:
    """Remind the praktijkbegeleider after N days, escalate to the coordinators after M days; once each.

    Submitted praktijkuren get the same: one reminder and one escalation per student and week (counted with the
    requests)."""
    reminded = escalated = 0
    for submission, student, supervisor in _waiting(
        session, older_than=now - timedelta(days=settings.reminder_after_days), kind="herinnering"
    ):
        if supervisor is None:
            continue
        notifications.queue_mail(
            session,
            to=supervisor.email,
            subject=f"Herinnering: {student.name} wacht op uw aftekening ({submission.eindterm_code})",
            body=(
                f"Beste {supervisor.name},\n\n{student.name} wacht sinds "
                f"{as_utc(submission.submitted_at):%d-%m-%Y} op uw aftekening van {submission.eindterm_code}.\n"
                f"{_portal_line(session, supervisor=supervisor, settings=settings)}\n"
            ),
        )
        session.add(Reminder(submission_id=submission.id or 0, kind="herinnering", sent_at=now))
        reminded += 1
    for week in hours_reminders.waiting_weeks(
        session, older_than=now - timedelta(days=settings.reminder_after_days), kind="herinnering"
    ):
        if week.supervisor is None:
            continue
        notifications.queue_mail(
            session,
            to=week.supervisor.email,
            subject=f"Herinnering: {week.student.name} wacht op goedkeuring van praktijkuren (week {week.number})",
            body=(
                f"Beste {week.supervisor.name},\n\n{week.student.name} wacht sinds {week.since:%d-%m-%Y} op uw "
                f"goedkeuring van {week.total_text} uur praktijk in week {week.number}.\n"
                f"{_portal_line(session, supervisor=week.supervisor, settings=settings)}\n"
            ),
        )
        hours_reminders.record_sent(session, week=week, kind="herinnering", now=now)
        reminded += 1
    for submission, student, supervisor in _waiting(
        session, older_than=now - timedelta(days=settings.escalate_after_days), kind="escalatie"
    ):
        for coordinator in _coordinators_of(session, student_id=student.id or 0):
            notifications.queue_mail(
                session,
                to=coordinator.email,
                subject=f"Aftekening loopt vast: {student.name} ({submission.eindterm_code})",
                body=(
                    f"Beste {coordinator.name},\n\n{student.name} wacht sinds "
                    f"{as_utc(submission.submitted_at):%d-%m-%Y} op aftekening van {submission.eindterm_code} "
                    f"door {supervisor.name if supervisor else 'een praktijkbegeleider'}.\n"
                    f"{settings.base_url.rstrip('/')}/studenten/{student.id}/eindtermen/{submission.eindterm_code}\n"
                ),
            )
        session.add(Reminder(submission_id=submission.id or 0, kind="escalatie", sent_at=now))
        escalated += 1
    for week in hours_reminders.waiting_weeks(
        session, older_than=now - timedelta(days=settings.escalate_after_days), kind="escalatie"
    ):
        for coordinator in _coordinators_of(session, student_id=week.student.id or 0):
            notifications.queue_mail(
                session,
                to=coordinator.email,
                subject=f"Goedkeuring praktijkuren loopt vast: {week.student.name} (week {week.number})",
                body=(
                    f"Beste {coordinator.name},\n\n{week.student.name} wacht sinds {week.since:%d-%m-%Y} op "
                    f"goedkeuring van {week.total_text} uur praktijk in week {week.number} door "
                    f"{week.supervisor.name if week.supervisor else 'een praktijkbegeleider'}.\n"
                    f"{settings.base_url.rstrip('/')}/studenten/{week.student.id}/praktijkuren\n"
                ),
            )
        hours_reminders.record_sent(session, week=week, kind="escalatie", now=now)
        escalated += 1
    session.flush()
    return reminded, escalated


def send_digests(session: Session, *, now: datetime, settings: Settings) -> int:
    """One mail a day for praktijkbegeleiders who chose the digest, listing what waits for them (requests to sign
    off and weeks of praktijkuren to approve)."""
    sent = 0
    supervisors = session.exec(select(User).where(col(User.notify_daily_digest).is_(True), col(User.is_active))).all()
    for supervisor in supervisors:
        if supervisor.last_digest_at and now - as_utc(supervisor.last_digest_at) < timedelta(hours=23):
            continue
        waiting = _open_submissions(session, supervisor_id=supervisor.id or 0)
        weeks = hours_reminders.waiting_weeks_for(session, supervisor_id=supervisor.id or 0)
        if not waiting and not weeks:
            continue
        lines = "\n".join(
            f"- {r.student_name}: {r.eindterm_code} (sinds {as_utc(r.submitted_at):%d-%m-%Y})" for r in waiting
        )
        hour_lines = "\n".join(
            f"- {w.student.name}: week {w.number}, {w.total_text} uur (sinds {w.since:%d-%m-%Y})" for w in weeks
        )
        subject = [f"{len(waiting)} verzoek(en) om af te tekenen"] if waiting else []
        subject += (
            [f"{len(weeks)} {'week' if len(weeks) == 1 else 'weken'} praktijkuren om goed te keuren"] if weeks else []
        )
        notifications.queue_mail(
            session,
            to=supervisor.email,
            subject=f"Dagoverzicht: {', '.join(subject)}",
            body=(
                f"Beste {supervisor.name},\n\n"
                + (f"Dit wacht op uw aftekening:\n{lines}\n\n" if waiting else "")
                + (f"Deze praktijkuren wachten op uw goedkeuring:\n{hour_lines}\n\n" if weeks else "")
                + f"{_portal_line(session, supervisor=supervisor, settings=settings)}\n"
            ),
        )
        supervisor.last_digest_at = now
        session.add(supervisor)
        sent += 1
    session.flush()
    return sent


def current_supervisor_id(session: Session, *, cohort_id: int, student_id: int) -> int:
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.cohort_id == cohort_id, Enrolment.student_id == student_id)
    ).first()
    if enrolment is None or enrolment.supervisor_id is None:
        raise NotFound(N_("Deze student heeft geen praktijkbegeleider in dit cohort."))
    return enrolment.supervisor_id


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
