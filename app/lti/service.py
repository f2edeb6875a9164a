"""Registering platforms, the courses (contexts) they launch from, and what an LTI role means here."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.cohorts.models import Cohort
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.i18n import N_
from app.lti.models import LtiContext, LtiPlatform

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
# Context roles that teach or manage a course: never a student, and (for now) nothing of ours either.
TEACHING = frozenset(
    LIS + f"membership#{name}" for name in ("Instructor", "ContentDeveloper", "Administrator", "Mentor")
) | frozenset(LIS + f"membership/Instructor#{name}" for name in ("TeachingAssistant", "Grader", "Lecturer"))

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class PlatformInput:
    name: str
    issuer: str
    client_id: str
    deployment_ids: str
    auth_login_url: str
    token_url: str
    jwks_url: str
    frame_origin: str


def _url_ok(value: str) -> bool:
    """https, or http on loopback (a platform under test): a launch must not be verified over plain HTTP."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)


def _origin(value: str) -> str | None:
    """scheme://host[:port] of a URL, as CSP's frame-ancestors wants it; None when it is not one."""
    if not _url_ok(value):
        return None
    parts = urlsplit(value.strip())
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _validated(data: PlatformInput) -> PlatformInput:
    errors: list[str] = []
    if not data.name.strip():
        errors.append(N_("Vul een naam in."))
    if not _url_ok(data.issuer.strip()):
        errors.append(N_("De issuer moet een https-adres zijn."))
    if not data.client_id.strip():
        errors.append(N_("Vul de client-id in die het platform gaf."))
    deployments = [d.strip() for d in data.deployment_ids.splitlines() if d.strip()]
    if not deployments:
        errors.append(N_("Vul minstens één deployment-id in."))
    for url in (data.auth_login_url, data.token_url, data.jwks_url):
        if not _url_ok(url.strip()):
            errors.append(N_("De adressen van het platform moeten https-adressen zijn."))
            break
    origin = _origin(data.frame_origin)
    if origin is None:
        errors.append(
            N_("De herkomst voor frames is een adres zonder pad, bijvoorbeeld https://school.brightspace.com.")
        )
    if errors:
        raise InvalidInput(errors[0], details=errors)
    return PlatformInput(
        name=data.name.strip(),
        issuer=data.issuer.strip(),
        client_id=data.client_id.strip(),
        deployment_ids="\n".join(deployments),
        auth_login_url=data.auth_login_url.strip(),
        token_url=data.token_url.strip(),
        jwks_url=data.jwks_url.strip(),
        frame_origin=origin or "",
    )


def list_platforms(session: Session) -> list[LtiPlatform]:
    return list(session.exec(select(LtiPlatform).order_by(col(LtiPlatform.name), col(LtiPlatform.id))).all())


def get_platform(session: Session, *, platform_id: int) -> LtiPlatform:
    platform = session.get(LtiPlatform, platform_id)
    if platform is None:
        raise NotFound()
    return platform


def _ensure_unique(session: Session, *, issuer: str, client_id: str, except_id: int | None) -> None:
    found = session.exec(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    ).first()
    if found is not None and found.id != except_id:
        raise InvalidInput(N_("Dit platform (issuer en client-id) is al geregistreerd."))


def register_platform(session: Session, *, data: PlatformInput, actor_id: int) -> LtiPlatform:
    clean = _validated(data)
    _ensure_unique(session, issuer=clean.issuer, client_id=clean.client_id, except_id=None)
    platform = LtiPlatform(**clean.__dict__)
    session.add(platform)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="lti.platform_registered",
        object_type="lti_platform",
        object_id=platform.id,
        data={"issuer": platform.issuer, "client_id": platform.client_id},
    )
    return platform


def update_platform(session: Session, *, platform_id: int, data: PlatformInput, actor_id: int) -> LtiPlatform:
    platform = get_platform(session, platform_id=platform_id)
    clean = _validated(data)
    _ensure_unique(session, issuer=clean.issuer, client_id=clean.client_id, except_id=platform.id)
    for name, value in clean.__dict__.items():
        setattr(platform, name, value)
    session.add(platform)
    audit.record(
        session,
        actor_id=actor_id,
        action="lti.platform_changed",
        object_type="lti_platform",
        object_id=platform.id,
        data={"issuer": platform.issuer, "client_id": platform.client_id},
    )
    session.flush()
    return platform


def find_platform(session: Session, *, issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration a login initiation names: by issuer and client id, or by issuer alone when the platform
    sends no client id and only one registration has that issuer."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    found = session.exec(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def frame_origins(session: Session) -> list[str]:
    return sorted({p.frame_origin for p in session.exec(select(LtiPlatform)).all() if p.frame_origin})


# --- courses ---------------------------------------------------------------------------------------------------


def context_of(session: Session, *, platform_id: int, context_id: str, title: str | None) -> LtiContext:
    """The course this launch comes from, recorded at its first launch (without a cohort until one is chosen)."""
    row = session.exec(
        select(LtiContext).where(LtiContext.platform_id == platform_id, LtiContext.context_id == context_id)
    ).first()
    if row is None:
        row = LtiContext(platform_id=platform_id, context_id=context_id, title=(title or "")[:300] or None)
        session.add(row)
        session.flush()
    return row


def link_context(session: Session, *, context_row_id: int, cohort_id: int, actor_id: int) -> LtiContext:
    """Link a course to a cohort, once: a course that already has a cohort keeps it."""
    row = session.get(LtiContext, context_row_id)
    if row is None or session.get(Cohort, cohort_id) is None:
        raise NotFound()
    if row.cohort_id is not None:
        raise InvalidInput(N_("Deze cursus is al aan een cohort gekoppeld."))
    row.cohort_id = cohort_id
    row.linked_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor_id=actor_id,
        action="lti.context_linked",
        object_type="lti_context",
        object_id=row.id,
        data={"cohort_id": cohort_id},
    )
    session.flush()
    return row


def cohorts(session: Session) -> list[Cohort]:
    return list(session.exec(select(Cohort).order_by(col(Cohort.name), col(Cohort.id))).all())


def unlinked_contexts(session: Session) -> list[LtiContext]:
    return list(session.exec(select(LtiContext).where(col(LtiContext.cohort_id).is_(None))).all())


# --- roles -----------------------------------------------------------------------------------------------------


def is_learner_only(roles: list[str]) -> bool:
    """Learner in the course, and no teaching role beside it: only then may a launch open a student's portfolio.
    Institution and system roles (Student, Administrator) never count; nothing here ever grants a role."""
    return LEARNER in roles and not (set(roles) & TEACHING)


def is_teaching(roles: list[str]) -> bool:
    return bool(set(roles) & TEACHING)
