"""What approving a voorstel would change, shown before the coordinator decides: the account rule's verdict, the
praktijkbegeleider it replaces, and the open sign-off requests that move to the new one.

Above cohorts: the open requests are evidence's submissions waiting for a sign-off.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.service import Actor
from app.cohorts import account_rule
from app.cohorts.account_rule import AccountCheck
from app.cohorts.proposals import Proposal, proposal_in_scope
from app.evidence.models import Slot, SlotStatus, Submission


@dataclass(frozen=True)
class ApprovalPreview:
    proposal: Proposal
    account: AccountCheck | None  # None: a new account will be made
    previous: User | None
    open_requests: list[tuple[int, str]]  # (submission id, eindterm code) that move to the new praktijkbegeleider


def approval_preview(session: Session, *, actor: Actor, assignment_id: int) -> ApprovalPreview:
    assignment, enrolment, cohort = proposal_in_scope(session, actor=actor, assignment_id=assignment_id)
    student = session.get(User, assignment.student_id)
    assert student is not None
    existing = accounts.get_user_by_email(session, email=assignment.email)
    open_requests = session.exec(
        select(Submission.id, Submission.eindterm_code)
        .join(Slot, col(Slot.submission_id) == Submission.id)
        .where(Submission.student_id == student.id, Slot.status == SlotStatus.ter_aftekening.value)
        .order_by(col(Submission.submitted_at))
    ).all()
    return ApprovalPreview(
        proposal=Proposal(assignment=assignment, student=student, cohort=cohort),
        account=account_rule.check_account(session, user=existing, programme_id=cohort.programme_id)
        if existing
        else None,
        previous=session.get(User, enrolment.supervisor_id) if enrolment.supervisor_id else None,
        open_requests=[(i or 0, c) for i, c in open_requests],
    )
