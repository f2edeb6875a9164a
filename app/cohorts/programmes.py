"""Programmes and cohorts: the framework version a cohort is pinned to, reading and creating them."""

from datetime import date

from sqlmodel import Session, col, select

from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts.models import Cohort, Programme, ProgrammeCoordinator
from app.cohorts.people_csv import MAX_NAME_LENGTH  # the column size, which the import checks too
from app.cohorts.scope import coordinated_programme_ids
from app.errors import DomainError, InvalidInput, NotFound
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.i18n import N_


class FrameworkUnavailable(DomainError):
    """A cohort is pinned to a framework version whose file is no longer loaded: a set-up problem."""

    status_code = 500
    default_message = N_("Het eindtermenkader van dit cohort is niet geladen.")


def framework_of(registry: FrameworkRegistry, cohort: Cohort) -> Framework:
    """The framework version the cohort is pinned to."""
    try:
        return registry.get(cohort.framework_id, cohort.framework_version)
    except KeyError:
        raise FrameworkUnavailable(
            f"Het eindtermenkader {cohort.framework_id} versie {cohort.framework_version} van cohort "
            f"{cohort.name} is niet geladen. Vraag de beheerder om dat kaderbestand terug te zetten."
        ) from None


def programmes_for(session: Session, *, actor: Actor) -> list[Programme]:
    ids = coordinated_programme_ids(session, actor=actor)
    if not ids:
        return []
    return list(session.exec(select(Programme).where(col(Programme.id).in_(ids)).order_by(Programme.name)).all())


def coordinated_programme(session: Session, *, actor: Actor, programme_id: int) -> Programme:
    """The programme if this actor coordinates it; any other (or none) does not exist for them."""
    if programme_id not in coordinated_programme_ids(session, actor=actor):
        raise NotFound(N_("Deze opleiding bestaat niet."))
    programme = session.get(Programme, programme_id)
    if programme is None:  # pragma: no cover - a coordinator row always names an existing programme
        raise NotFound(N_("Deze opleiding bestaat niet."))
    return programme


def create_programme(
    session: Session, *, name: str, institution: str | None = None, coordinator_ids: list[int] | None = None
) -> Programme:
    programme = Programme(name=name, institution=institution)
    session.add(programme)
    session.flush()
    assert programme.id is not None
    for user_id in coordinator_ids or []:
        session.add(ProgrammeCoordinator(programme_id=programme.id, user_id=user_id))
    session.flush()
    return programme


def create_cohort(
    session: Session,
    *,
    actor: Actor,
    registry: FrameworkRegistry,
    programme_id: int,
    name: str,
    start_date: date | None,
    planned_end_date: date | None,
    framework_key: str,
) -> Cohort:
    errors: list[str] = []
    if programme_id not in coordinated_programme_ids(session, actor=actor):
        errors.append(N_("Kies een opleiding die u coördineert."))
    if not name.strip():
        errors.append(N_("Geef het cohort een naam."))
    elif len(name.strip()) > MAX_NAME_LENGTH:
        errors.append(f"De naam mag hoogstens {MAX_NAME_LENGTH} tekens lang zijn.")
    if start_date is None:
        errors.append(N_("Vul een startdatum in."))
    if start_date and planned_end_date and planned_end_date <= start_date:
        errors.append(N_("De geplande einddatum moet na de startdatum liggen."))
    framework_id, _, version = framework_key.partition("@")
    if (framework_id, version) not in registry:
        errors.append(N_("Kies een bestaande versie van het eindtermenkader."))
    if (
        not errors
        and session.exec(
            select(Cohort.id).where(Cohort.programme_id == programme_id, Cohort.name == name.strip())
        ).first()
    ):
        errors.append(f"Er bestaat al een cohort met de naam '{name.strip()}' in deze opleiding.")
    if errors:
        raise InvalidInput("Het cohort is niet aangemaakt.", details=errors)
    assert start_date is not None
    cohort = Cohort(
        programme_id=programme_id,
        name=name.strip(),
        start_date=start_date,
        planned_end_date=planned_end_date,
        framework_id=framework_id,
        framework_version=version,
    )
    audit.record_new(
        session,
        cohort,
        actor_id=actor.id,
        action="cohort.created",
        object_type="cohort",
        data={"framework": framework_key},
    )
    return cohort
