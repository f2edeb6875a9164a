"""Cohort progress: students × eindtermen from the per-slot state table, in a fixed number of queries.

Whatever the cohort's size, a page costs the same few queries: the filtered students (one page of them), their
slots, and the filter choices. Nothing scans evidence rows.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.cohorts.models import Cohort, Enrolment
from app.evidence.models import Slot, SlotStatus, Submission
from app.framework.schema import Framework
from app.readiness.service import SlotFacts, evaluate

PAGE_SIZE = 100
SORTS = ("gereedheid", "-gereedheid", "naam")


@dataclass(frozen=True)
class Filters:
    supervisor_id: int | None = None
    assessor_id: int | None = None
    workplace: str | None = None
    status: str | None = None
    search: str | None = None
    sort: str = "gereedheid"
    page: int = 1

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL parameters (empty ones left out), with some changed: for links and exports."""
        values = {
            "praktijkbegeleider": self.supervisor_id,
            "beoordelaar": self.assessor_id,
            "werkplek": self.workplace,
            "status": self.status,
            "zoek": self.search,
            "sorteer": self.sort,
            "pagina": self.page,
        }
        values.update(changes)
        defaults = {"sorteer": "gereedheid", "pagina": 1}
        return {k: v for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}


@dataclass
class StudentRow:
    student: User
    enrolment: Enrolment
    supervisor: str | None
    assessor: str | None
    statuses: dict[str, str]
    met: int
    groups: list[tuple[str, int, int]]  # (group code, met, total)
    last_activity: datetime | None


@dataclass
class Overview:
    cohort: Cohort
    framework: Framework
    rows: list[StudentRow]
    total_students: int
    column_counts: dict[str, Counter[str]]
    filters: Filters
    supervisors: list[tuple[int, str]] = field(default_factory=list)
    assessors: list[tuple[int, str]] = field(default_factory=list)
    workplaces: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_students // PAGE_SIZE))


def _filtered_enrolments(cohort: Cohort, filters: Filters, total_eindtermen: int):  # type: ignore[no-untyped-def]
    statement = (
        select(Enrolment.id).join(User, col(User.id) == Enrolment.student_id).where(Enrolment.cohort_id == cohort.id)
    )
    if filters.supervisor_id:
        statement = statement.where(Enrolment.supervisor_id == filters.supervisor_id)
    if filters.assessor_id:
        statement = statement.where(Enrolment.assessor_id == filters.assessor_id)
    if filters.workplace:
        statement = statement.where(Enrolment.workplace == filters.workplace)
    if filters.search:
        like = f"%{filters.search.strip().lower()}%"
        statement = statement.where(
            or_(func.lower(User.name).like(like), func.lower(func.coalesce(User.student_number, "")).like(like))
        )
    if filters.status:
        having = select(Slot.student_id).where(
            Slot.status == filters.status,
            Slot.framework_id == cohort.framework_id,
            Slot.framework_version == cohort.framework_version,
        )
        if filters.status == SlotStatus.leeg.value:
            # "leeg" includes eindtermen without a slot row yet: students short of a full set of non-empty slots.
            full = (
                select(Slot.student_id)
                .where(
                    Slot.status != SlotStatus.leeg.value,
                    Slot.framework_id == cohort.framework_id,
                    Slot.framework_version == cohort.framework_version,
                )
                .group_by(col(Slot.student_id))
                .having(func.count() >= total_eindtermen)
            )
            statement = statement.where(col(Enrolment.student_id).not_in(full))
        else:
            statement = statement.where(col(Enrolment.student_id).in_(having))
    return statement


def overview(
    session: Session, *, cohort: Cohort, framework: Framework, filters: Filters, paginate: bool = True
) -> Overview:
    ids = _filtered_enrolments(cohort, filters, len(framework.eindtermen)).subquery()
    supervisor, assessor = aliased(User), aliased(User)
    # Query 1: every filtered student with names (sorting by readiness needs their slots, so no SQL paging here).
    members = session.exec(
        select(Enrolment, User, supervisor.name, assessor.name)
        .join(User, col(User.id) == Enrolment.student_id)
        .outerjoin(supervisor, col(supervisor.id) == col(Enrolment.supervisor_id))
        .outerjoin(assessor, col(assessor.id) == col(Enrolment.assessor_id))
        .where(col(Enrolment.id).in_(select(ids.c.id)))
    ).all()
    # Query 2: their slots, only the columns the grid needs.
    slots = session.execute(
        sa_select(
            col(Slot.student_id), col(Slot.eindterm_code), col(Slot.status), col(Slot.score), col(Slot.last_activity_at)
        )
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .where(
            col(Enrolment.id).in_(select(ids.c.id)),
            col(Slot.framework_id) == cohort.framework_id,
            col(Slot.framework_version) == cohort.framework_version,
        )
    ).all()
    by_student: dict[int, dict[str, tuple[str, str | None]]] = {}
    last: dict[int, datetime] = {}
    for student_id, code, status, score, activity in slots:
        by_student.setdefault(student_id, {})[code] = (status, score)
        if activity is not None and (student_id not in last or activity > last[student_id]):
            last[student_id] = activity
    rows: list[StudentRow] = []
    columns: dict[str, Counter[str]] = {e.code: Counter() for e in framework.eindtermen}
    for enrolment, student, supervisor_name, assessor_name in members:
        cells = by_student.get(student.id or 0, {})
        facts = {code: SlotFacts(status=status, score=score) for code, (status, score) in cells.items()}
        verdict = evaluate(framework, facts)
        statuses = {e.code: cells.get(e.code, ("leeg", None))[0] for e in framework.eindtermen}
        for code, status in statuses.items():
            columns[code][status] += 1
        rows.append(
            StudentRow(
                student=student,
                enrolment=enrolment,
                supervisor=supervisor_name,
                assessor=assessor_name,
                statuses=statuses,
                met=len(verdict.met),
                groups=[(g.group.code, g.met, g.total) for g in verdict.groups],
                last_activity=last.get(student.id or 0),
            )
        )
    if filters.sort == "naam":
        rows.sort(key=lambda r: r.student.name.lower())
    else:
        reverse = filters.sort != "-gereedheid"
        rows.sort(key=lambda r: (r.met, r.student.name.lower()), reverse=reverse)
    total = len(rows)
    if paginate:
        start = (max(filters.page, 1) - 1) * PAGE_SIZE
        rows = rows[start : start + PAGE_SIZE]
    # Query 3: the filter choices.
    choices = session.execute(
        sa_select(
            col(Enrolment.supervisor_id),
            col(supervisor.name),
            col(Enrolment.assessor_id),
            col(assessor.name),
            col(Enrolment.workplace),
        )
        .outerjoin(supervisor, col(supervisor.id) == col(Enrolment.supervisor_id))
        .outerjoin(assessor, col(assessor.id) == col(Enrolment.assessor_id))
        .where(col(Enrolment.cohort_id) == cohort.id)
        .distinct()
    ).all()
    return Overview(
        cohort=cohort,
        framework=framework,
        rows=rows,
        total_students=total,
        column_counts=columns,
        filters=filters,
        supervisors=sorted({(i, n) for i, n, _, _, _ in choices if i}, key=lambda x: x[1]),
        assessors=sorted({(i, n) for _, _, i, n, _ in choices if i}, key=lambda x: x[1]),
        workplaces=sorted({w for *_, w in choices if w}),
    )


# --- bottlenecks --------------------------------------------------------------------------------------------


@dataclass
class Bottlenecks:
    lagging: list[tuple[str, int, int]]  # (code, met, students)
    waiting_signoff: list[tuple[str, int, datetime]]  # (supervisor, count, oldest)
    waiting_score: list[tuple[str, int, datetime]]  # (assessor, count, oldest)
    inactive: list[tuple[User, datetime | None]]
    not_possible: list[tuple[User, str]]


def bottlenecks(
    session: Session, *, view: Overview, inactive_days: int = 21, now: datetime | None = None
) -> Bottlenecks:
    """From the overview's data plus two grouped queries; still independent of the cohort's size."""
    from app.signoff.models import SignOff

    now = now or datetime.now(
        tz=view.rows[0].last_activity.tzinfo if view.rows and view.rows[0].last_activity else None
    )
    cohort = view.cohort
    met_per_code: Counter[str] = Counter()
    for code, counts in view.column_counts.items():
        met_per_code[code] = counts.get("beoordeeld", 0)
    lagging = sorted(((c, met_per_code[c], view.total_students) for c in view.column_counts), key=lambda x: x[1])[:5]
    supervisor, assessor = aliased(User), aliased(User)
    waiting_signoff = session.exec(
        select(supervisor.name, func.count(), func.min(Submission.submitted_at))
        .select_from(Slot)
        .join(Submission, col(Submission.id) == Slot.submission_id)
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .join(supervisor, col(supervisor.id) == col(Enrolment.supervisor_id))
        .where(Enrolment.cohort_id == cohort.id, Slot.status == SlotStatus.ter_aftekening.value)
        .group_by(supervisor.name)
        .order_by(func.min(Submission.submitted_at))
    ).all()
    waiting_score = session.exec(
        select(assessor.name, func.count(), func.min(SignOff.decided_at))
        .select_from(Slot)
        .join(SignOff, col(SignOff.submission_id) == Slot.submission_id)
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .join(assessor, col(assessor.id) == col(Enrolment.assessor_id))
        .where(Enrolment.cohort_id == cohort.id, Slot.status == SlotStatus.afgetekend.value)
        .group_by(assessor.name)
        .order_by(func.min(SignOff.decided_at))
    ).all()
    from app.db import as_utc, utcnow

    threshold = utcnow() - timedelta(days=inactive_days)
    inactive = [
        (r.student, r.last_activity)
        for r in view.rows
        if r.last_activity is None or as_utc(r.last_activity) < threshold
    ]
    not_possible = [(r.student, code) for r in view.rows for code, s in r.statuses.items() if s == "niet_mogelijk"]
    return Bottlenecks(
        lagging=lagging,
        waiting_signoff=[(n, c, o) for n, c, o in waiting_signoff],
        waiting_score=[(n, c, o) for n, c, o in waiting_score],
        inactive=inactive,
        not_possible=not_possible,
    )


def weekly_progress(session: Session, *, cohort: Cohort) -> list[tuple[date, int, int]]:
    """Cumulative signed-off and assessed eindtermen per week since the cohort's start."""
    from app.assessment.models import Assessment
    from app.signoff.models import SignOff

    students = select(Enrolment.student_id).where(Enrolment.cohort_id == cohort.id)
    signed = session.exec(
        select(SignOff.decided_at).where(col(SignOff.student_id).in_(students), SignOff.decision == "afgetekend")
    ).all()
    scored = session.exec(select(Assessment.created_at).where(col(Assessment.student_id).in_(students))).all()
    start = cohort.start_date - timedelta(days=cohort.start_date.weekday())
    end = max([d.date() for d in [*signed, *scored]] + [date.today()])
    weeks: list[tuple[date, int, int]] = []
    week = start
    while week <= end:
        upto = week + timedelta(days=7)
        weeks.append((week, sum(1 for d in signed if d.date() < upto), sum(1 for d in scored if d.date() < upto)))
        week = upto
    return weeks
