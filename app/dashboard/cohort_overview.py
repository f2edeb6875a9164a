"""Cohort progress: students × eindtermen from the per-slot state table, in a fixed number of queries.

Whatever the cohort's size, a page costs the same few queries, and the database does the counting: one query
ranks the filtered students by the number of eindtermen that meet the readiness rule (and counts them per group,
the same rule as `app.readiness.service.evaluate`), sorts and pages them; the slots are loaded only for the
students on the page; one grouped query counts the statuses per eindterm; one lists the filter choices.
Nothing scans evidence rows. The statements live in `cohort_queries`, what holds a cohort up in
`cohort_bottlenecks`; this module builds the page's rows and names the rest for the routes.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.cohorts.models import Cohort, Enrolment
from app.dashboard.cohort_bottlenecks import Bottlenecks as Bottlenecks
from app.dashboard.cohort_bottlenecks import StudentRef as StudentRef
from app.dashboard.cohort_bottlenecks import bottlenecks as bottlenecks
from app.dashboard.cohort_bottlenecks import self_assessment_gaps as self_assessment_gaps
from app.dashboard.cohort_bottlenecks import weekly_progress as weekly_progress
from app.dashboard.cohort_queries import CELL, FILTER_CHOICES, Shape, Statements, parameters, statements_for
from app.dashboard.cohort_queries import LEVELS as LEVELS
from app.dashboard.cohort_queries import PAGE_SIZE as PAGE_SIZE
from app.dashboard.cohort_queries import SORTS as SORTS
from app.dashboard.cohort_queries import Filters as Filters
from app.dashboard.cohort_queries import failing_scores as failing_scores
from app.dashboard.cohort_queries import met_condition as met_condition
from app.dashboard.cohort_queries import passing_scores as passing_scores
from app.evidence.models import SlotStatus
from app.framework.schema import Framework


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
    statements = statements_for(framework, Shape.of(filters, paginate=paginate))
    params = parameters(cohort, filters)
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
            for code, status, ok in CELL.findall(joined):
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


def _add_extras(session: Session, view: Overview, statements: Statements, params: dict[str, Any]) -> None:
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
    choices = session.connection().execute(FILTER_CHOICES, {"cohort_id": view.cohort.id}).all()
    view.supervisors = sorted({(i, n) for i, n, _, _, _ in choices if i}, key=lambda x: x[1])
    view.assessors = sorted({(i, n) for _, _, i, n, _ in choices if i}, key=lambda x: x[1])
    view.workplaces = sorted({w for *_, w in choices if w})
