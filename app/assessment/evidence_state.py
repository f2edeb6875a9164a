"""What became of submitted evidence: per submission the latest score, else the sign-off, else waiting.

The read that the evidence history asks for (`app.evidence.hooks.submission_states`, connected in
`app.wiring`): it reads sign-offs and scores, which sit above evidence, so it lives up here.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.assessment.models import Assessment
from app.evidence.models import SlotStatus, Submission
from app.evidence.status import shown_status
from app.framework.schema import Framework
from app.signoff.models import SignOff


def submission_states(
    session: Session, *, submissions: Sequence[Submission], framework: Framework | None
) -> dict[int, tuple[str, datetime]]:
    """Per submission its outcome so far: the latest score, else the sign-off, else waiting since submitted."""
    ids = [s.id or 0 for s in submissions]
    if not ids:
        return {}
    sign_offs = {
        so.submission_id: so for so in session.exec(select(SignOff).where(col(SignOff.submission_id).in_(ids))).all()
    }
    scores: dict[int, Assessment] = {}
    for assessment in session.exec(
        select(Assessment).where(col(Assessment.submission_id).in_(ids)).order_by(col(Assessment.id))
    ).all():
        scores[assessment.submission_id or 0] = assessment  # the latest counts
    result: dict[int, tuple[str, datetime]] = {}
    for submission in submissions:
        sid = submission.id or 0
        if sid in scores:
            score = scores[sid]
            status = "beoordeeld" if framework is None else shown_status(framework, "beoordeeld", score.score)
            result[sid] = (status, score.created_at)
        elif sid in sign_offs:
            result[sid] = (sign_offs[sid].decision, sign_offs[sid].decided_at)
        else:
            result[sid] = (SlotStatus.ter_aftekening.value, submission.submitted_at)
    return result
