"""The SQL behind the cohort overview: its filters, and the statements that rank, page and count the students.

The statements are built once per framework and per shape of the filters and cached; `met_condition` is the
readiness rule in SQL, shared with the bottlenecks.
"""

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, literal, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.accounts.models import User
from app.assessment.models import SubstituteApproval
from app.cohorts.models import Cohort, Enrolment
from app.evidence.models import Slot, SlotStatus
from app.evidence.status import ONVOLDOENDE
from app.framework.schema import Framework
from app.readiness.service import signed_off_validly

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
class Shape:
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
    def of(cls, filters: Filters, *, paginate: bool) -> "Shape":
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


def parameters(cohort: Cohort, filters: Filters) -> dict[str, Any]:
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
    if filters.status and Shape.of(filters, paginate=False).status == "other":
        values["status"] = filters.status
    return values


def _filtered_enrolments(shape: Shape, framework: Framework):  # type: ignore[no-untyped-def]
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
        scored.append(signed_off_validly())  # the rule's own SQL: one definition
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
class Statements:
    framework: Framework  # kept: the cache key holds id(framework), which must stay this framework's
    members: Any  # one page (or all) of students, ranked, with staff names, the number met and the total
    count: Any  # the total, for a page past the end
    slots: Any  # per student: the met count per group (group level), or every status (the heatmap)
    column_counts: Any  # statuses per eindterm over every filtered student (None at group level)


def _build(framework: Framework, shape: Shape) -> Statements:
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
    return Statements(
        framework=framework,
        members=members,
        count=select(func.count()).select_from(ids),
        slots=slots,
        column_counts=column_counts,
    )


CELL = re.compile(r"([^:,]+):([^:,]+):([01])")  # one "code:status:met" of the heatmap query's joined string

_STATEMENTS: dict[tuple[int, Shape], Statements] = {}


def statements_for(framework: Framework, shape: Shape) -> Statements:
    key = (id(framework), shape)
    found = _STATEMENTS.get(key)
    if found is None or found.framework is not framework:
        if len(_STATEMENTS) > 512:  # shapes × loaded framework versions: few; a bound all the same
            _STATEMENTS.clear()
        found = _STATEMENTS[key] = _build(framework, shape)
    return found


_supervisor_choice, _assessor_choice = aliased(User), aliased(User)
FILTER_CHOICES = (
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
