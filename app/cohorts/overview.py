"""Cohort progress: students × eindtermen from the per-slot state table, in a fixed number of queries.

Whatever the cohort's size, a page costs the same few queries, and the database does the counting: one query
ranks the filtered students by the number of eindtermen that meet the readiness rule (and counts them per group,
the same rule as `app.readiness.service.evaluate`), sorts and pages them; the slots are loaded only for the
students on the page; one grouped query counts the statuses per eindterm; one lists the filter choices.
Nothing scans evidence rows.
"""

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, exists, func, literal, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.assessment.models import SubstituteApproval
from app.cohorts.models import Cohort, Enrolment
from app.evidence.models import Slot, SlotStatus, Submission
from app.evidence.status import ONVOLDOENDE
from app.framework.schema import Framework

PAGE_SIZE = 100
SORTS = ("gereedheid", "-gereedheid", "naam")
LEVELS = ("eindterm", "groep")  # the heatmap per eindterm, or met/total per group of eindtermen


@dataclass(frozen=True)
class Filters:
    supervisor_id: int | None = None
    assessor_id: int | None = None
    workplace: str | None = None
    status: str | None = None
    search: str | None = None
    sort: str = "gereedheid"
    page: int = 1
    level: str = "eindterm"

    @property
    def groups_only(self) -> bool:
        return self.level == "groep"

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL parameters (empty ones left out), with some changed: for links and exports."""
        values = {
            "praktijkbegeleider": self.supervisor_id,
            "beoordelaar": self.assessor_id,
            "werkplek": self.workplace,
            "status": self.status,
            "zoek": self.search,
            "sorteer": self.sort,
            "niveau": self.level,
            "pagina": self.page,
        }
        values.update(changes)
        defaults = {"sorteer": "gereedheid", "pagina": 1, "niveau": "eindterm"}
        return {k: v for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}


@dataclass
class StudentRow:
    student: User
    enrolment: Enrolment
    supervisor: str | None
    assessor: str | None
    statuses: dict[str, str]  # empty at group level: the page does not load the slots then
    met: int
    groups: list[tuple[str, int, int]]  # (group code, met, total)
    last_activity: datetime | None


@dataclass
class Overview:
    cohort: Cohort
    framework: Framework
    rows: list[StudentRow]
    total_students: int
    column_counts: dict[str, Counter[str]]  # statuses per eindterm over every filtered student
    filters: Filters
    met_per_code: dict[str, int] = field(default_factory=dict)  # students for whom the eindterm meets the rule
    supervisors: list[tuple[int, str]] = field(default_factory=list)
    assessors: list[tuple[int, str]] = field(default_factory=list)
    workplaces: list[str] = field(default_factory=list)
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_students // self.page_size))


# The statements are built once per framework and per *shape* of the filters (which ones are set, the sort, the
# level, paged or not): building them cost more than SQLite needs to run them. The filter values, the cohort and
# the page are bind parameters.
_COHORT: Any = bindparam("cohort_id")
_FRAMEWORK_ID: Any = bindparam("framework_id")
_FRAMEWORK_VERSION: Any = bindparam("framework_version")
_PAGE_STUDENTS: Any = bindparam("student_ids", expanding=True)


def _in_framework_version() -> tuple[Any, Any]:
    return col(Slot.framework_id) == _FRAMEWORK_ID, col(Slot.framework_version) == _FRAMEWORK_VERSION


@dataclass(frozen=True)
class _Shape:
    supervisor: bool
    assessor: bool
    workplace: bool
    search: bool
    # None, "leeg" (its own query), "beoordeeld"/"onvoldoende" (split by the score) or "other" (a parameter)
    status: str | None
    sort: str
    groups_only: bool
    paginate: bool

    @classmethod
    def of(cls, filters: Filters, *, paginate: bool) -> "_Shape":
        own_query = {SlotStatus.leeg.value, SlotStatus.beoordeeld.value, ONVOLDOENDE}
        status = None if not filters.status else filters.status if filters.status in own_query else "other"
        return cls(
            supervisor=bool(filters.supervisor_id),
            assessor=bool(filters.assessor_id),
            workplace=bool(filters.workplace),
            search=bool(filters.search),
            status=status,
            sort=filters.sort,
            groups_only=filters.groups_only,
            paginate=paginate,
        )


def _parameters(cohort: Cohort, filters: Filters) -> dict[str, Any]:
    values: dict[str, Any] = {
        "cohort_id": cohort.id,
        "framework_id": cohort.framework_id,
        "framework_version": cohort.framework_version,
    }
    if filters.supervisor_id:
        values["supervisor_id"] = filters.supervisor_id
    if filters.assessor_id:
        values["assessor_id"] = filters.assessor_id
    if filters.workplace:
        values["workplace"] = filters.workplace
    if filters.search:
        values["search"] = f"%{filters.search.strip().lower()}%"
    if filters.status and _Shape.of(filters, paginate=False).status == "other":
        values["status"] = filters.status
    return values


def _filtered_enrolments(shape: _Shape, framework: Framework):  # type: ignore[no-untyped-def]
    statement = (
        select(Enrolment.id).join(User, col(User.id) == Enrolment.student_id).where(Enrolment.cohort_id == _COHORT)
    )
    if shape.supervisor:
        statement = statement.where(Enrolment.supervisor_id == bindparam("supervisor_id"))
    if shape.assessor:
        statement = statement.where(Enrolment.assessor_id == bindparam("assessor_id"))
    if shape.workplace:
        statement = statement.where(Enrolment.workplace == bindparam("workplace"))
    if shape.search:
        like: Any = bindparam("search")
        statement = statement.where(
            or_(func.lower(User.name).like(like), func.lower(func.coalesce(User.student_number, "")).like(like))
        )
    if shape.status == "leeg":
        # "leeg" includes eindtermen without a slot row yet: students short of a full set of non-empty slots.
        full = (
            select(Slot.student_id)
            .where(Slot.status != SlotStatus.leeg.value, *_in_framework_version())
            .group_by(col(Slot.student_id))
            .having(func.count() >= len(framework.eindtermen))
        )
        statement = statement.where(col(Enrolment.student_id).not_in(full))
    elif shape.status in (SlotStatus.beoordeeld.value, ONVOLDOENDE):
        # "beoordeeld" means scored at the minimum or better; below it is "onvoldoende", never filtered as a pass.
        below = col(Slot.score).in_(failing_scores(framework))
        score = below if shape.status == ONVOLDOENDE else ~below
        scored = and_(col(Slot.status) == SlotStatus.beoordeeld.value, score)
        having = select(Slot.student_id).where(scored, *_in_framework_version())
        statement = statement.where(col(Enrolment.student_id).in_(having))
    elif shape.status:
        having = select(Slot.student_id).where(Slot.status == bindparam("status"), *_in_framework_version())
        statement = statement.where(col(Enrolment.student_id).in_(having))
    return statement


def passing_scores(framework: Framework) -> list[str]:
    return [code for code in framework.scale_codes if framework.meets_minimum_score(code)]


def failing_scores(framework: Framework) -> list[str]:
    return [code for code in framework.scale_codes if not framework.meets_minimum_score(code)]


def _shown_status(framework: Framework):  # type: ignore[no-untyped-def]
    """SQL for the status as shown: a beoordeeld slot below the minimum score is onvoldoende, never like a pass."""
    below = and_(col(Slot.status) == SlotStatus.beoordeeld.value, col(Slot.score).in_(failing_scores(framework)))
    return case((below, ONVOLDOENDE), else_=col(Slot.status))


def met_condition(framework: Framework):  # type: ignore[no-untyped-def]
    """SQL for "this slot meets the readiness rule", exactly as `readiness.service.slot_verdict` returns None:
    beoordeeld with a score on the scale at the minimum or better, or niet mogelijk with an approved substitute
    assignment when the framework lets that count."""
    scored = [col(Slot.status) == SlotStatus.beoordeeld.value, col(Slot.score).in_(passing_scores(framework))]
    if framework.readiness.scoring_requires_signoff:
        from app.readiness.service import signed_off_validly  # the rule's own SQL: one definition

        scored.append(signed_off_validly())
    conditions = [and_(*scored)]
    if framework.readiness.substitute_counts:
        substitute = exists().where(
            col(SubstituteApproval.student_id) == col(Slot.student_id),
            col(SubstituteApproval.eindterm_code) == col(Slot.eindterm_code),
        )
        conditions.append(and_(col(Slot.status) == SlotStatus.niet_mogelijk.value, substitute))
    return or_(*conditions)


def _progress_per_student(framework: Framework):  # type: ignore[no-untyped-def]
    """Per student of the cohort: the number of eindtermen that meet the rule, and the last activity."""
    codes = [e.code for e in framework.eindtermen]
    met = case((and_(met_condition(framework), col(Slot.eindterm_code).in_(codes)), 1), else_=0)
    return (
        sa_select(
            col(Slot.student_id).label("student_id"),
            func.sum(met).label("met"),
            func.max(col(Slot.last_activity_at)).label("last_activity"),
        )
        .where(
            col(Slot.student_id).in_(select(Enrolment.student_id).where(Enrolment.cohort_id == _COHORT)),
            *_in_framework_version(),
        )
        .group_by(col(Slot.student_id))
        .subquery("progress")
    )


def _group_of(framework: Framework):  # type: ignore[no-untyped-def]
    """SQL for the index of the slot's eindterm group in the framework (NULL for a code it does not have)."""
    return case(
        *[(col(Slot.eindterm_code).in_([e.code for e in g.eindtermen]), n) for n, g in enumerate(framework.groups)],
        else_=None,
    )


@dataclass(frozen=True)
class _Statements:
    framework: Framework  # kept: the cache key holds id(framework), which must stay this framework's
    members: Any  # one page (or all) of students, ranked, with staff names, the number met and the total
    count: Any  # the total, for a page past the end
    slots: Any  # per student: the met count per group (group level), or every status (the heatmap)
    column_counts: Any  # statuses per eindterm over every filtered student (None at group level)


def _build(framework: Framework, shape: _Shape) -> _Statements:
    ids = _filtered_enrolments(shape, framework).subquery()
    filtered = select(ids.c.id)
    progress = _progress_per_student(framework)
    supervisor, assessor = aliased(User), aliased(User)
    met = func.coalesce(progress.c.met, 0)
    if shape.sort == "naam":
        order = [func.lower(User.name), col(User.id)]
    elif shape.sort == "-gereedheid":
        order = [met, func.lower(User.name), col(User.id)]
    else:
        order = [met.desc(), func.lower(User.name), col(User.id)]
    members = (
        select(  # type: ignore[call-overload]
            Enrolment,
            User,
            supervisor.name,
            assessor.name,
            met,
            progress.c.last_activity,
            func.count().over() if shape.paginate else literal(0),
        )
        .join(User, col(User.id) == Enrolment.student_id)
        .outerjoin(supervisor, col(supervisor.id) == col(Enrolment.supervisor_id))
        .outerjoin(assessor, col(assessor.id) == col(Enrolment.assessor_id))
        .outerjoin(progress, progress.c.student_id == Enrolment.student_id)
        .where(col(Enrolment.id).in_(filtered))
        .order_by(*order)
    )
    if shape.paginate:
        members = members.limit(bindparam("limit")).offset(bindparam("offset"))
    students = (
        col(Slot.student_id).in_(_PAGE_STUDENTS)
        if shape.paginate
        else col(Slot.student_id).in_(select(Enrolment.student_id).where(col(Enrolment.id).in_(filtered)))
    )
    if shape.groups_only:
        group = _group_of(framework)
        slots = (
            sa_select(col(Slot.student_id), group, func.sum(case((met_condition(framework), 1), else_=0)))
            .where(students, *_in_framework_version())
            .group_by(col(Slot.student_id), group)
        )
        column_counts = None
    else:
        # One row per student: "code:status:met,code:status:met,…" (2,000 rows for a whole cohort, not 112,000).
        shown = _shown_status(framework)
        cell = col(Slot.eindterm_code) + ":" + shown + ":" + case((met_condition(framework), "1"), else_="0")
        slots = (
            sa_select(col(Slot.student_id), func.aggregate_strings(cell, ","))
            .where(students, *_in_framework_version())
            .group_by(col(Slot.student_id))
        )
        column_counts = (
            sa_select(
                col(Slot.eindterm_code),
                shown,
                func.count(),
                func.sum(case((met_condition(framework), 1), else_=0)),
            )
            .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
            .where(col(Enrolment.id).in_(filtered), *_in_framework_version())
            .group_by(col(Slot.eindterm_code), shown)
        )
    return _Statements(
        framework=framework,
        members=members,
        count=select(func.count()).select_from(ids),
        slots=slots,
        column_counts=column_counts,
    )


_CELL = re.compile(r"([^:,]+):([^:,]+):([01])")  # one "code:status:met" of the heatmap query's joined string

_STATEMENTS: dict[tuple[int, _Shape], _Statements] = {}


def _statements(framework: Framework, shape: _Shape) -> _Statements:
    key = (id(framework), shape)
    found = _STATEMENTS.get(key)
    if found is None or found.framework is not framework:
        if len(_STATEMENTS) > 512:  # shapes × loaded framework versions: few; a bound all the same
            _STATEMENTS.clear()
        found = _STATEMENTS[key] = _build(framework, shape)
    return found


_supervisor_choice, _assessor_choice = aliased(User), aliased(User)
_FILTER_CHOICES = (
    sa_select(
        col(Enrolment.supervisor_id),
        col(_supervisor_choice.name),
        col(Enrolment.assessor_id),
        col(_assessor_choice.name),
        col(Enrolment.workplace),
    )
    .outerjoin(_supervisor_choice, col(_supervisor_choice.id) == col(Enrolment.supervisor_id))
    .outerjoin(_assessor_choice, col(_assessor_choice.id) == col(Enrolment.assessor_id))
    .where(col(Enrolment.cohort_id) == _COHORT)
    .distinct()
)


def overview(
    session: Session,
    *,
    cohort: Cohort,
    framework: Framework,
    filters: Filters,
    paginate: bool = True,
    page_size: int = PAGE_SIZE,
    extras: bool = True,
) -> Overview:
    """The filtered students, ranked and paged by SQL; slots only for the rows returned.

    `paginate=False` returns every filtered student (exports, bottlenecks); `extras=False` leaves out what only
    the page shows (column counts and the filter choices)."""
    statements = _statements(framework, _Shape.of(filters, paginate=paginate))
    params = _parameters(cohort, filters)
    page = max(filters.page, 1)
    # Query 1: one page of students with names, staff, the number met, their last activity, and the total.
    paging = {"limit": page_size, "offset": (page - 1) * page_size} if paginate else {}
    members = session.exec(statements.members, params={**params, **paging}).all()
    if not paginate:
        total = len(members)
    elif members:
        total = members[0][6]
    else:  # a page past the end: still say how many there are
        total = session.exec(statements.count, params=params).one()
    # Query 2, only for the students returned: per group the number met (group level), or every slot's status
    # with whether it meets the rule (the heatmap; the groups are counted from it).
    slot_params = {**params, "student_ids": [student.id for _, student, *_ in members]} if paginate else params
    group_met: dict[int, list[int]] = {}
    by_student: dict[int, dict[str, str]] = {}
    if members and filters.groups_only:
        for student_id, index, number in session.connection().execute(statements.slots, slot_params):
            if index is not None:
                group_met.setdefault(student_id, [0] * len(framework.groups))[index] = int(number or 0)
    elif members:
        group_index = {e.code: n for n, g in enumerate(framework.groups) for e in g.eindtermen}
        for student_id, joined in session.connection().execute(statements.slots, slot_params).all():
            statuses = by_student[student_id] = {}
            met_per_group = group_met[student_id] = [0] * len(framework.groups)
            for code, status, ok in _CELL.findall(joined):
                if code in group_index:  # slots of eindtermen outside this framework version do not count
                    statuses[code] = status
                    if ok == "1":
                        met_per_group[group_index[code]] += 1
    codes = [e.code for e in framework.eindtermen]
    sizes = [len(g.eindtermen) for g in framework.groups]
    group_codes = [g.code for g in framework.groups]
    none_met = [0] * len(framework.groups)
    empty = dict.fromkeys(codes, SlotStatus.leeg.value)
    rows: list[StudentRow] = []
    for enrolment, student, supervisor_name, assessor_name, met_count, last_activity, _ in members:
        cells = by_student.get(student.id or 0, {})
        rows.append(
            StudentRow(
                student=student,
                enrolment=enrolment,
                supervisor=supervisor_name,
                assessor=assessor_name,
                statuses={} if filters.groups_only else {**empty, **cells},
                met=int(met_count or 0),
                groups=list(zip(group_codes, group_met.get(student.id or 0, none_met), sizes, strict=True)),
                last_activity=last_activity,
            )
        )
    view = Overview(
        cohort=cohort,
        framework=framework,
        rows=rows,
        total_students=total,
        column_counts={c: Counter() for c in codes},
        filters=replace(filters, page=page),
        page_size=page_size,
    )
    if extras:
        _add_extras(session, view, statements, params)
    return view


def _add_extras(session: Session, view: Overview, statements: _Statements, params: dict[str, Any]) -> None:
    # Query 3: statuses per eindterm over every filtered student (not only this page); no slot row means leeg.
    if statements.column_counts is not None:
        view.met_per_code = dict.fromkeys(view.column_counts, 0)
        for code, status, number, met in session.connection().execute(statements.column_counts, params).all():
            if code in view.column_counts and status != SlotStatus.leeg.value:
                view.column_counts[code][status] += number
                view.met_per_code[code] += int(met or 0)
        for counts in view.column_counts.values():
            counts[SlotStatus.leeg.value] = view.total_students - sum(counts.values())
    # Query 4: the filter choices.
    choices = session.connection().execute(_FILTER_CHOICES, {"cohort_id": view.cohort.id}).all()
    view.supervisors = sorted({(i, n) for i, n, _, _, _ in choices if i}, key=lambda x: x[1])
    view.assessors = sorted({(i, n) for _, _, i, n, _ in choices if i}, key=lambda x: x[1])
    view.workplaces = sorted({w for *_, w in choices if w})


# --- bottlenecks --------------------------------------------------------------------------------------------


class StudentRef(NamedTuple):
    id: int
    name: str


@dataclass
class Bottlenecks:
    total_students: int
    lagging: list[tuple[str, int, int]]  # (code, met, students)
    waiting_signoff: list[tuple[str, int, datetime]]  # (supervisor, count, oldest)
    waiting_score: list[tuple[str, int, datetime]]  # (assessor, count, oldest)
    inactive: list[tuple[StudentRef, datetime | None]]
    not_possible: list[tuple[StudentRef, str]]


def bottlenecks(
    session: Session,
    *,
    cohort: Cohort,
    framework: Framework,
    inactive_days: int = 21,
    now: datetime | None = None,
) -> Bottlenecks:
    """What holds the cohort up, counted and listed by SQL: no query loads every student's slots, so the page
    costs about the same at 2,000 students as at 20 (apart from the names it lists)."""
    from app.db import utcnow
    from app.signoff.models import SignOff

    now = now or utcnow()
    codes = [e.code for e in framework.eindtermen]
    in_cohort = col(Slot.student_id).in_(select(Enrolment.student_id).where(Enrolment.cohort_id == cohort.id))
    in_version = (
        col(Slot.framework_id) == cohort.framework_id,
        col(Slot.framework_version) == cohort.framework_version,
        col(Slot.eindterm_code).in_(codes),
    )
    total = session.exec(
        select(func.count())
        .select_from(Enrolment)
        .join(User, col(User.id) == Enrolment.student_id)
        .where(Enrolment.cohort_id == cohort.id)
    ).one()
    # Eindtermen that lag: met by the fewest students (the readiness rule), in framework order among equals.
    met = dict(
        session.connection()
        .execute(
            sa_select(col(Slot.eindterm_code), func.count())
            .where(in_cohort, *in_version, met_condition(framework))
            .group_by(col(Slot.eindterm_code))
        )
        .all()
    )
    lagging = sorted(((c, met.get(c, 0), total) for c in codes), key=lambda x: x[1])[:5]
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
    # Students without activity for `inactive_days` (or none at all), by name.
    last_activity = (
        sa_select(col(Slot.student_id).label("student_id"), func.max(col(Slot.last_activity_at)).label("last"))
        .where(in_cohort, *in_version[:2])
        .group_by(col(Slot.student_id))
        .subquery("activity")
    )
    threshold = now - timedelta(days=inactive_days)
    inactive = [
        (StudentRef(student_id, name), last)
        for student_id, name, last in session.connection().execute(
            sa_select(col(User.id), col(User.name), last_activity.c.last)
            .select_from(Enrolment)
            .join(User, col(User.id) == Enrolment.student_id)
            .outerjoin(last_activity, last_activity.c.student_id == Enrolment.student_id)
            .where(col(Enrolment.cohort_id) == cohort.id)
            .where(or_(last_activity.c.last.is_(None), last_activity.c.last < threshold))
            .order_by(func.lower(User.name), col(User.id))
        )
    ]
    position = {code: n for n, code in enumerate(codes)}
    not_possible_rows = session.connection().execute(
        sa_select(col(User.id), col(User.name), col(Slot.eindterm_code))
        .join(User, col(User.id) == Slot.student_id)
        .where(in_cohort, *in_version, col(Slot.status) == SlotStatus.niet_mogelijk.value)
        .order_by(func.lower(User.name), col(User.id))
    )
    not_possible = sorted(
        ((StudentRef(student_id or 0, name), code) for student_id, name, code in not_possible_rows),
        key=lambda x: (x[0].name.lower(), x[0].id, position[x[1]]),
    )
    return Bottlenecks(
        total_students=total,
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
    # Plain rows, sorted once: a cohort of 2,000 has tens of thousands of them.
    signed = sorted(
        d.date()
        for (d,) in session.connection().execute(
            sa_select(col(SignOff.decided_at)).where(
                col(SignOff.student_id).in_(students), col(SignOff.decision) == "afgetekend"
            )
        )
    )
    scored = sorted(
        d.date()
        for (d,) in session.connection().execute(
            sa_select(col(Assessment.created_at)).where(col(Assessment.student_id).in_(students))
        )
    )
    start = cohort.start_date - timedelta(days=cohort.start_date.weekday())
    end = max([*signed[-1:], *scored[-1:], date.today()])
    weeks: list[tuple[date, int, int]] = []
    week = start
    while week <= end:
        upto = week + timedelta(days=7)
        weeks.append((week, bisect_left(signed, upto), bisect_left(scored, upto)))
        week = upto
    return weeks
