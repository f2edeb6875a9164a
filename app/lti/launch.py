"""The launch: OIDC third-party login initiation, then the platform's signed id_token, verified here.

Verified: the signature against the platform's JWKS (fetched over HTTP, kept, fetched again for an unknown key),
iss, aud/azp, exp/iat, the nonce (single use: it belongs to one state row, which is taken once), the state
(bound to the browser by a cookie), the deployment id, the message type and the LTI version. Every refusal is
an LtiRefused with a Dutch message; nothing about a refused launch starts a session."""

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session, col, delete, func, select, update

from app.accounts.identity import digest
from app.accounts.models import User
from app.accounts.sso import Claims, SsoRefused
from app.accounts.sso_link import sign_in
from app.audit import service as audit
from app.cohorts.models import Enrolment
from app.config import Settings
from app.db import as_utc, utcnow
from app.errors import DomainError
from app.i18n import N_
from app.lti import service
from app.lti.models import LtiContext, LtiLaunchState, LtiPlatform

LAUNCH_MINUTES = 10
# Launches in progress one client may have: each login initiation is a row, so a script cannot fill the table.
MAX_LAUNCHES_PER_CLIENT = 30
LEEWAY_SECONDS = 60
KEYS_SECONDS = 3600
# An unknown kid fetches the key set again, but not more often than this: a stream of tokens with made-up kids
# must not make us hammer the platform.
REFRESH_SECONDS = 30
HTTP_TIMEOUT = 5
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
VERSION = "1.3.0"

UNKNOWN_PLATFORM = N_("Dit leerplatform is niet bij het portfolio geregistreerd. Vraag de beheerder om hulp.")
LAUNCH_EXPIRED = N_(
    "Deze aanmelding vanuit de cursus is verlopen of al gebruikt. Open het portfolio opnieuw vanuit de cursus."
)
INVALID_TOKEN = N_(
    "De aanmelding vanuit de cursus kon niet worden gecontroleerd. Open het portfolio opnieuw vanuit de cursus."
)
UNKNOWN_DEPLOYMENT = N_("Deze koppeling (deployment) van het leerplatform is niet bij het portfolio geregistreerd.")
WRONG_MESSAGE = N_("Dit soort bericht van het leerplatform ondersteunt het portfolio (nog) niet.")
PLATFORM_UNAVAILABLE = N_("De sleutels van het leerplatform zijn nu niet bereikbaar. Probeer het later opnieuw.")
NO_CONTEXT = N_("Deze aanmelding komt niet uit een cursus. Open het portfolio vanuit de cursus.")
CONTEXT_NOT_LINKED = N_(
    "Deze cursus is nog niet aan een cohort in het portfolio gekoppeld. Vraag uw opleiding om de koppeling te maken."
)
NOT_IN_COHORT = N_("U staat niet ingeschreven in het cohort dat bij deze cursus hoort. Vraag uw opleiding om hulp.")
TEACHING_NOT_YET = N_(
    "Docenten openen het portfolio nog niet vanuit de cursus. Log in op het portfolio met uw eigen account."
)
TOO_MANY_LAUNCHES = N_(
    "Er zijn vanaf dit apparaat te veel aanmeldingen vanuit een cursus gestart. Wacht tien minuten en probeer het "
    "dan opnieuw."
)
ROLE_UNKNOWN = N_("Met uw rol in deze cursus kunt u het portfolio niet openen.")


class LtiRefused(DomainError):
    """A launch (or login initiation) we do not accept: a bad request from the platform's side, not a page the
    person may not see (that would be 404). The person sees why; nothing starts a session."""

    status_code = 400


class PlatformUnavailable(LtiRefused):
    status_code = 503


class TooManyLaunches(LtiRefused):
    status_code = 429


# --- login initiation ------------------------------------------------------------------------------------------


def launch_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/lti/launch"


def begin_launch(session: Session, *, platform: LtiPlatform, client_hash: str) -> tuple[str, str, str]:
    """A new launch's (state, nonce, browser token); the browser token goes into a cookie. A client with
    MAX_LAUNCHES_PER_CLIENT launches of the last LAUNCH_MINUTES gets TooManyLaunches and no row."""
    session.exec(delete(LtiLaunchState).where(col(LtiLaunchState.expires_at) <= utcnow()))
    live = session.exec(
        select(func.count()).select_from(LtiLaunchState).where(LtiLaunchState.client_hash == client_hash)
    ).one()
    if live >= MAX_LAUNCHES_PER_CLIENT:
        raise TooManyLaunches(TOO_MANY_LAUNCHES)
    assert platform.id is not None
    state, nonce, browser = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        LtiLaunchState(
            state_hash=digest(state),
            browser_hash=digest(browser),
            nonce=nonce,
            platform_id=platform.id,
            client_hash=client_hash,
            expires_at=utcnow() + timedelta(minutes=LAUNCH_MINUTES),
        )
    )
    session.flush()
    return state, nonce, browser


def authorization_url(
    platform: LtiPlatform, *, settings: Settings, state: str, nonce: str, login_hint: str, message_hint: str | None
) -> str:
    """Where the browser goes next: the platform's OIDC authorization endpoint (LTI Core 5.1.1.2)."""
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url(settings),
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if message_hint:
        params["lti_message_hint"] = message_hint
    separator = "&" if "?" in platform.auth_login_url else "?"
    return f"{platform.auth_login_url}{separator}{urlencode(params)}"


def browser_cookie(state: str) -> str:
    """One cookie per launch in progress: two course tiles launching at once must not overwrite each other."""
    return "pf_lti_" + digest(state)[:16]


def take_launch(session: Session, *, state: str, browser_token: str | None) -> LtiLaunchState:
    """The launch this id_token finishes, taken once (one conditional UPDATE: of two posts, one wins)."""
    row = (
        session.exec(select(LtiLaunchState).where(LtiLaunchState.state_hash == digest(state))).first()
        if state
        else None
    )
    if row is None:
        raise LtiRefused(LAUNCH_EXPIRED)
    taken = session.exec(
        update(LtiLaunchState)
        .where(col(LtiLaunchState.id) == row.id, col(LtiLaunchState.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if (
        taken.rowcount != 1
        or not browser_token
        or not secrets.compare_digest(row.browser_hash, digest(browser_token))
        or as_utc(row.expires_at) <= utcnow()
    ):
        raise LtiRefused(LAUNCH_EXPIRED)
    return row


# --- the platform's keys, per process --------------------------------------------------------------------------

_lock = threading.Lock()
_keys: dict[str, tuple[float, KeySet]] = {}

KeyFetcher = Callable[[str], dict[str, Any]]


def _fetch(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PlatformUnavailable(PLATFORM_UNAVAILABLE) from exc
    if not isinstance(data, dict):
        raise PlatformUnavailable(PLATFORM_UNAVAILABLE)
    return data


def platform_keys(platform: LtiPlatform, *, refresh: bool = False, fetch: KeyFetcher = _fetch) -> KeySet:
    """The platform's JWKS, kept an hour; fetched again when a token names a key we do not know (the platform
    rotated its keys), at most once per REFRESH_SECONDS."""
    now = time.monotonic()
    with _lock:
        cached = _keys.get(platform.jwks_url)
    if cached is not None and cached[0] > now:
        fetched_at = cached[0] - KEYS_SECONDS
        if not refresh or now - fetched_at < REFRESH_SECONDS:
            return cached[1]
    try:
        keys = KeySet.import_key_set(fetch(platform.jwks_url))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise PlatformUnavailable(PLATFORM_UNAVAILABLE) from exc
    with _lock:
        _keys[platform.jwks_url] = (time.monotonic() + KEYS_SECONDS, keys)
    return keys


def forget_keys() -> None:
    with _lock:
        _keys.clear()


# --- the id_token ----------------------------------------------------------------------------------------------


def verify_id_token(id_token: str, *, platform: LtiPlatform, nonce: str, fetch: KeyFetcher = _fetch) -> dict[str, Any]:
    """The launch's claims after every check of LTI Core 5.1.3; LtiRefused otherwise."""
    try:
        try:
            token = jwt.decode(id_token, platform_keys(platform, fetch=fetch), algorithms=["RS256"])
        except InvalidKeyIdError:
            token = jwt.decode(id_token, platform_keys(platform, refresh=True, fetch=fetch), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": platform.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise LtiRefused(INVALID_TOKEN) from exc
    claims = token.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    azp = claims.get("azp")
    # aud must name us; with several audiences, azp must too, and an azp present is always ours (LTI Core 5.1.3).
    if platform.client_id not in audiences or (azp is not None and azp != platform.client_id):
        raise LtiRefused(INVALID_TOKEN)
    if len(audiences) > 1 and azp is None:
        raise LtiRefused(INVALID_TOKEN)
    if time.time() < float(claims["iat"]) - LEEWAY_SECONDS or not str(claims["sub"]).strip():
        raise LtiRefused(INVALID_TOKEN)
    if claims.get(CLAIM + "deployment_id") not in platform.deployments():
        raise LtiRefused(UNKNOWN_DEPLOYMENT)
    if claims.get(CLAIM + "message_type") != RESOURCE_LINK_REQUEST or claims.get(CLAIM + "version") != VERSION:
        raise LtiRefused(WRONG_MESSAGE)
    return dict(claims)


# --- who launched ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    platform: LtiPlatform
    claims: dict[str, Any]

    @property
    def roles(self) -> list[str]:
        value = self.claims.get(CLAIM + "roles")
        return [str(r) for r in value] if isinstance(value, list) else []

    @property
    def context(self) -> dict[str, Any]:
        value = self.claims.get(CLAIM + "context")
        return value if isinstance(value, dict) else {}

    @property
    def student_number(self) -> str | None:
        lis = self.claims.get(CLAIM + "lis")
        value = lis.get("person_sourcedid") if isinstance(lis, dict) else None
        return str(value).strip() or None if value else None


def _enrolled(session: Session, *, user_id: int, cohort_id: int) -> bool:
    return (
        session.exec(
            select(Enrolment.id).where(
                Enrolment.cohort_id == cohort_id, Enrolment.student_id == user_id, col(Enrolment.left_at).is_(None)
            )
        ).first()
        is not None
    )


def _linked_context(session: Session, *, launch: Launch) -> LtiContext:
    context_id = str(launch.context.get("id") or "").strip()
    if not context_id:
        raise LtiRefused(NO_CONTEXT)
    assert launch.platform.id is not None
    title = launch.context.get("title")
    row = service.context_of(
        session, platform_id=launch.platform.id, context_id=context_id, title=str(title) if title else None
    )
    if row.cohort_id is None:
        raise LtiRefused(CONTEXT_NOT_LINKED)
    return row


def student_of(session: Session, *, launch: Launch) -> User:
    """The student this Learner launch opens the portfolio of: an identity (issuer, sub) already linked, or one
    linked now by the school sign-in's rules (app/accounts/sso_link.py) with the enrolments of the course's
    cohort standing in for the institution list: the student number the platform sends (lis person_sourcedid)
    must match exactly one student of that cohort. The e-mail address never links; nothing is created."""
    if service.is_teaching(launch.roles):
        raise LtiRefused(TEACHING_NOT_YET)
    if not service.is_learner_only(launch.roles):
        raise LtiRefused(ROLE_UNKNOWN)
    context = _linked_context(session, launch=launch)
    cohort_id = context.cohort_id
    assert cohort_id is not None

    def in_cohort(user_id: int, _institution: str | None) -> bool:
        return _enrolled(session, user_id=user_id, cohort_id=cohort_id)

    def allowed(user_id: int, institution: str | None) -> bool:
        if not in_cohort(user_id, institution):
            raise LtiRefused(NOT_IN_COHORT)
        return True

    name, email = launch.claims.get("name"), launch.claims.get("email")
    claims = Claims(
        issuer=launch.platform.issuer,
        sub=str(launch.claims["sub"]),
        institution=launch.platform.issuer,
        affiliation="Learner",
        principal_name=None,
        student_number=launch.student_number,
        name=str(name)[:200] if name else None,
        email=str(email)[:320] if email else None,
    )
    try:
        user = sign_in(session, claims=claims, activation_token_id=None, allowed=allowed, listed=in_cohort)
    except SsoRefused as exc:
        raise LtiRefused(exc.message) from exc
    audit.record(
        session,
        actor_id=user.id,
        action="lti.launch",
        object_type="user",
        object_id=user.id,
        data={"platform_id": launch.platform.id, "context": context.context_id, "cohort_id": cohort_id},
    )
    return user
