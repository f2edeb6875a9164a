"""A second factor for password logins (OWASP ASVS 5.0 6.3.3): a TOTP authenticator app (RFC 6238) and ten
single-use recovery codes; docs/second-factor.md.

A password login of someone with a confirmed factor starts a session with `pending_step="code"`; a coordinator,
beoordelaar or beheerder without one (SECOND_FACTOR_REQUIRED) gets `pending_step="enrol"`. Such a session grants
nothing (`sessions.resolve_session`) until the code is given; then the session is replaced by a new one. Wrong
codes count as failed logins: the password's limit covers both. School-account logins (SSO) are never asked:
they rely on the institution's own MFA.
"""

import base64
import hmac
import os
import re
import secrets
import time

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import or_
from sqlmodel import Session, col, delete, func, select, update

from app.accounts.identity import digest
from app.accounts.models import Role, User, UserSession
from app.accounts.permissions import SECOND_FACTOR_ROLES
from app.accounts.second_factor_models import RecoveryCode, SecondFactor
from app.accounts.sessions import authenticate_limit_reached, record_failed_attempt, start_session
from app.audit import service as audit
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from app.i18n import N_

PENDING_CODE = "code"
PENDING_ENROL = "enrol"
ISSUER = "Jobcoach-portfolio"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code copied from paper is typed again without guessing.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_STEP_SECONDS = 30
_clock = time.time  # the tests set the clock


class WrongCode(InvalidInput):
    default_message = N_("Deze code klopt niet. Controleer de tijd op uw telefoon en probeer het opnieuw.")

    def __init__(self) -> None:
        super().__init__(field="code")


# --- the stored secret --------------------------------------------------------------------------------------------


def _cipher(settings: Settings) -> AESGCM:
    # A key of its own, derived from SECRET_KEY: rotating SECRET_KEY makes the stored secrets unreadable (a
    # beheerder then resets the second factor; docs/second-factor.md).
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"second-factor").derive(
        settings.secret_key.encode()
    )
    return AESGCM(key)


def _encrypt(secret: str, *, user_id: int, settings: Settings) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(settings).encrypt(nonce, secret.encode(), str(user_id).encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _decrypt(stored: str, *, user_id: int, settings: Settings) -> str | None:
    """The secret, or None when it cannot be read (another SECRET_KEY, or a row copied to another user)."""
    try:
        raw = base64.urlsafe_b64decode(stored.encode())
        return _cipher(settings).decrypt(raw[:12], raw[12:], str(user_id).encode()).decode()
    except (InvalidTag, ValueError):
        return None


# --- who must, who has one ----------------------------------------------------------------------------------------


def factor_of(session: Session, *, user_id: int) -> SecondFactor | None:
    return session.exec(select(SecondFactor).where(SecondFactor.user_id == user_id)).first()


def is_required(*, roles: frozenset[Role], settings: Settings) -> bool:
    return settings.second_factor_required and bool(roles & SECOND_FACTOR_ROLES)


def users_with_factor(session: Session) -> set[int]:
    """The people with a confirmed second factor (the beheerder's user list)."""
    return set(session.exec(select(SecondFactor.user_id).where(col(SecondFactor.confirmed_at).is_not(None))).all())


def recovery_codes_left(session: Session, *, user_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None))
    ).one()


def start_password_session(
    session: Session, *, user: User, roles: frozenset[Role], settings: Settings, previous_token: str | None
) -> tuple[str, str | None]:
    """A session after a correct password, and the step it still owes (None: none, it is a full session)."""
    assert user.id is not None
    factor = factor_of(session, user_id=user.id)
    step = None
    if factor is not None and factor.confirmed_at is not None:
        step = PENDING_CODE
    elif is_required(roles=roles, settings=settings):
        step = PENDING_ENROL
    token = start_session(session, user=user, settings=settings, previous_token=previous_token, pending_step=step)
    return token, step


# --- codes --------------------------------------------------------------------------------------------------------


def _check_limit(session: Session, *, email: str, client: str, settings: Settings) -> None:
    if authenticate_limit_reached(session, email=email, client=client, settings=settings):
        raise TooManyRequests(
            f"Te veel mislukte inlogpogingen. Probeer het over {settings.login_window_minutes} minuten opnieuw."
        )


def _matching_step(secret: str, code: str) -> int | None:
    """The 30-second step whose code this is (the current one, or one either side for a clock that is off)."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = int(_clock()) // _STEP_SECONDS
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * _STEP_SECONDS).encode(), code.encode()):
            return step
    return None


def _take_step(session: Session, *, factor: SecondFactor, step: int) -> bool:
    """Record `step` as used, unless it (or a later one) was used already: one UPDATE, so that two requests with
    the same code cannot both pass."""
    result = session.execute(
        update(SecondFactor)
        .where(
            col(SecondFactor.id) == factor.id,
            or_(col(SecondFactor.last_step).is_(None), col(SecondFactor.last_step) < step),
        )
        .values(last_step=step)
    )
    session.refresh(factor)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _take_recovery_code(session: Session, *, user_id: int, code: str) -> bool:
    cleaned = _normalise(code)
    if len(cleaned) != _RECOVERY_LENGTH:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user_id,
            col(RecoveryCode.code_hash) == digest(cleaned),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _wrong(session: Session, *, email: str, client: str) -> WrongCode:
    record_failed_attempt(session, email=email, client=client)  # the caller renders, so this row is kept
    return WrongCode()


def _new_recovery_codes(session: Session, *, user_id: int) -> list[str]:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(10)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=digest(code)) for code in codes)
    session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


# --- enrolment ----------------------------------------------------------------------------------------------------


def begin_enrolment(session: Session, *, user_id: int, settings: Settings) -> str:
    """The secret to show for setting up the app: the unconfirmed one from before, or a new one."""
    factor = factor_of(session, user_id=user_id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict(N_("U heeft al een tweede factor ingesteld."))
    secret = _decrypt(factor.secret, user_id=user_id, settings=settings) if factor is not None else None
    if factor is not None and secret is not None:
        return secret
    secret = pyotp.random_base32()  # 160 bits
    if factor is None:
        factor = SecondFactor(user_id=user_id, secret="")
    factor.secret = _encrypt(secret, user_id=user_id, settings=settings)
    session.add(factor)
    audit.record(
        session, actor_id=user_id, action="user.second_factor_enrolment_started", object_type="user", object_id=user_id
    )
    session.flush()
    return secret


def provisioning_uri(secret: str, *, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def confirm_enrolment(session: Session, *, user: User, code: str, client: str, settings: Settings) -> list[str]:
    """The first code from the app confirms it; returns the ten recovery codes, shown once. A wrong code raises
    `WrongCode` after recording a failed login: the caller renders the form again (and so keeps that row)."""
    assert user.id is not None
    _check_limit(session, email=user.email, client=client, settings=settings)
    factor = factor_of(session, user_id=user.id)
    if factor is None or factor.confirmed_at is not None:
        raise Conflict(N_("Er is geen tweede factor om te bevestigen. Begin opnieuw."))
    secret = _decrypt(factor.secret, user_id=user.id, settings=settings)
    step = _matching_step(secret, _normalise(code)) if secret else None
    if step is None or not _take_step(session, factor=factor, step=step):
        raise _wrong(session, email=user.email, client=client)
    factor.confirmed_at = utcnow()
    session.add(factor)
    codes = _new_recovery_codes(session, user_id=user.id)
    audit.record(
        session, actor_id=user.id, action="user.second_factor_confirmed", object_type="user", object_id=user.id
    )
    session.flush()
    return codes


# --- signing in and managing it -----------------------------------------------------------------------------------


def verify(session: Session, *, user: User, code: str, client: str, settings: Settings) -> None:
    """A code from the app or an unused recovery code, or `WrongCode` (counted as a failed login)."""
    assert user.id is not None
    _check_limit(session, email=user.email, client=client, settings=settings)
    factor = factor_of(session, user_id=user.id)
    if factor is None or factor.confirmed_at is None:
        raise NotFound()
    secret = _decrypt(factor.secret, user_id=user.id, settings=settings)
    step = _matching_step(secret, _normalise(code)) if secret else None
    if step is not None:
        if _take_step(session, factor=factor, step=step):
            return
        raise _wrong(session, email=user.email, client=client)  # that code was used already (replay)
    if _take_recovery_code(session, user_id=user.id, code=code):
        audit.record(
            session,
            actor_id=user.id,
            action="user.recovery_code_used",
            object_type="user",
            object_id=user.id,
            data={"left": recovery_codes_left(session, user_id=user.id)},
        )
        session.flush()
        return
    raise _wrong(session, email=user.email, client=client)


def complete_login(session: Session, *, user: User, settings: Settings, token: str) -> str:
    """The second factor was given: a new session without a pending step replaces the pending one (rotation)."""
    return start_session(session, user=user, settings=settings, previous_token=token)


def renew_recovery_codes(session: Session, *, user_id: int) -> list[str]:
    factor = factor_of(session, user_id=user_id)
    if factor is None or factor.confirmed_at is None:
        raise Conflict(N_("Stel eerst een tweede factor in."))
    codes = _new_recovery_codes(session, user_id=user_id)
    audit.record(session, actor_id=user_id, action="user.recovery_codes_renewed", object_type="user", object_id=user_id)
    session.flush()
    return codes


def _remove(session: Session, *, user_id: int) -> None:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    session.exec(delete(SecondFactor).where(col(SecondFactor.user_id) == user_id))


def switch_off(
    session: Session, *, user: User, roles: frozenset[Role], code: str, client: str, settings: Settings
) -> None:
    """Someone for whom it is optional switches their second factor off, with a current code."""
    assert user.id is not None
    if is_required(roles=roles, settings=settings):
        raise Forbidden(N_("Voor uw rol is een tweede factor verplicht; u kunt hem niet uitzetten."))
    verify(session, user=user, code=code, client=client, settings=settings)
    _remove(session, user_id=user.id)
    audit.record(session, actor_id=user.id, action="user.second_factor_removed", object_type="user", object_id=user.id)
    session.flush()


def reset(session: Session, *, user_id: int, actor_id: int) -> User:
    """A beheerder removes someone's second factor (a lost phone): their sessions end, and at the next password
    login they set up a new one (if their role requires it)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Deze gebruiker bestaat niet."))
    if user_id == actor_id:
        raise InvalidInput(N_("U kunt uw eigen tweede factor niet resetten; vraag een andere beheerder."))
    if factor_of(session, user_id=user_id) is None:
        raise Conflict(N_("%(name)s heeft geen tweede factor."), params={"name": user.name})
    _remove(session, user_id=user_id)
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))
    audit.record(session, actor_id=actor_id, action="user.second_factor_reset", object_type="user", object_id=user_id)
    session.flush()
    return user
