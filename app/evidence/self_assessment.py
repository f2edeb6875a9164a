"""Zelfbeoordeling: before submitting a slot, the student rates themselves on the framework's scale, with a short
motivation. The praktijkbegeleider sees it next to the evidence they judge, the beoordelaar next to their score;
the cohort overview lists where it and the score lie more than one level apart.

A self-assessment is an append-only record, bound into the audit chain like the judgements it sits beside; a new
one (the next round after "terug") is a new row, the latest counts.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.errors import InvalidInput
from app.evidence.models import SelfAssessment
from app.framework.schema import Framework
from app.i18n import N_

MAX_MOTIVATION = 1000


@dataclass(frozen=True)
class Rating:
    level: str
    motivation: str


def checked(framework: Framework, *, level: str, motivation: str) -> Rating:
    """The rating as given, or a Dutch refusal naming the field; nothing is written."""
    if level not in framework.scale_codes:
        raise InvalidInput(
            N_("Kies bij uw zelfbeoordeling een niveau van de schaal voordat u indient."), field="zelfbeoordeling"
        )
    motivation = motivation.strip()
    if not motivation:
        raise InvalidInput(N_("Motiveer uw zelfbeoordeling in een paar zinnen."), field="zelfmotivatie")
    if len(motivation) > MAX_MOTIVATION:
        raise InvalidInput(
            N_("De motivatie van uw zelfbeoordeling is te lang (hoogstens %(max)s tekens)."),
            field="zelfmotivatie",
            params={"max": MAX_MOTIVATION},
        )
    return Rating(level=level, motivation=motivation)


def record(
    session: Session, *, student_id: int, framework: Framework, code: str, rating: Rating, submission_id: int | None
) -> SelfAssessment:
    made = SelfAssessment(
        student_id=student_id,
        eindterm_code=code,
        framework_id=framework.id,
        framework_version=framework.version,
        submission_id=submission_id,
        level=rating.level,
        motivation=rating.motivation,
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor_id=student_id,
        action="self_assessment.recorded",
        object_type="slot",
        object_id=code,
        data={"student_id": student_id, "level": rating.level, "submission_id": submission_id},
        bind=[made],
    )
    return made


def of_slot(session: Session, *, student_id: int, code: str) -> list[SelfAssessment]:
    """Newest first."""
    return list(
        session.exec(
            select(SelfAssessment)
            .where(SelfAssessment.student_id == student_id, SelfAssessment.eindterm_code == code)
            .order_by(col(SelfAssessment.id).desc())
        ).all()
    )


def of_submission(session: Session, *, submission_id: int) -> SelfAssessment | None:
    return session.exec(
        select(SelfAssessment)
        .where(SelfAssessment.submission_id == submission_id)
        .order_by(col(SelfAssessment.id).desc())
    ).first()
