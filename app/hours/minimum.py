"""The minimum of approved praktijkuren for readiness: the programme's own, or else its framework's."""

import re

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.cohorts.models import Cohort, Programme
from app.errors import InvalidInput, NotFound
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.i18n import N_
from app.validation import fields

MINIMUM_FORMAT = N_(
    "Vul het minimum in als een heel aantal uren (0 of meer), of laat het veld leeg voor het minimum van het kader."
)


def minimum_hours_for(session: Session, *, cohort_id: int, framework: Framework) -> int:
    """The programme's minimum if it sets one, else the framework's `readiness.minimum_practice_hours`."""
    own = session.exec(
        select(Programme.minimum_practice_hours)
        .join(Cohort, col(Cohort.programme_id) == Programme.id)
        .where(Cohort.id == cohort_id)
    ).first()
    return framework.readiness.minimum_practice_hours if own is None else own


def parse_minimum(value: str) -> int | None:
    """What the coordinator typed as the programme's minimum: empty is None (the framework's), else whole hours."""
    text = value.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", text):  # ASCII digits only: no sign, decimals or other scripts' digits
        raise InvalidInput(MINIMUM_FORMAT)
    return int(text)


def framework_minimums(
    session: Session, *, programme_id: int, registry: FrameworkRegistry
) -> list[tuple[Framework, int]]:
    """The frameworks of the programme's cohorts with their own `readiness.minimum_practice_hours`: what applies
    when the programme sets no minimum."""
    keys = session.exec(
        select(Cohort.framework_id, Cohort.framework_version)
        .where(Cohort.programme_id == programme_id)
        .distinct()
        .order_by(col(Cohort.framework_id), col(Cohort.framework_version))
    ).all()
    found = []
    for framework_id, version in keys:
        if (framework_id, version) in registry:
            framework = registry.get(framework_id, version)
            found.append((framework, framework.readiness.minimum_practice_hours))
    return found


def set_programme_minimum(session: Session, *, programme_id: int, hours: int | None, actor_id: int | None) -> Programme:
    """The programme's own minimum of approved hours for readiness (None: follow the framework)."""
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(N_("Deze opleiding bestaat niet."))
    if hours is not None:
        fields.within(hours, at_least=0, at_most=100_000, message=N_("Vul een aantal uren van 0 tot 100000 in."))
    programme.minimum_practice_hours = hours
    session.add(programme)
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.minimum_practice_hours",
        object_type="programme",
        object_id=programme_id,
        data={"hours": hours},
    )
    session.flush()
    return programme
