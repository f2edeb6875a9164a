"""What a verified sign-in through the school's account means for our accounts: the login's short-lived state,
and the one rule for which identity belongs to which user.

The rule: an identity (issuer, sub) is linked once, to one user, through a valid activation link (the welcome mail)
or by what the import stored at an institution one of the person's programmes explicitly lists: first the student
number, then the eduPersonPrincipalName (case-insensitive). Either must match exactly one user. The e-mail claim
never links: anyone can get an address that reads like an existing user's at some issuer (SURF's guidance).
Nothing is created for an unknown identity.
"""

import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session, col, delete, func, select, update

from app.accounts.identity import digest
from app.accounts.models import PasswordResetToken, TokenKind, User
from app.accounts.sso import Claims, SsoRefused
from app.accounts.sso_models import SignInIdentity, SsoLoginState
from app.audit import service as audit
from app.db import as_utc, utcnow
from app.i18n import N_

LOGIN_MINUTES = 10
# Logins in progress one client may have: each start is a row, so a script cannot fill the table.
MAX_LOGINS_PER_CLIENT = 30

NOT_LINKED = N_("Uw account is nog niet gekoppeld. Vraag uw opleiding om een uitnodiging.")
INSTITUTION_REFUSED = N_(
    "Met een account van deze instelling kunt u niet inloggen voor uw opleiding. Log in met het account van uw "
    "eigen school, of vraag uw opleiding welke instellingen zijn toegestaan."
)
BLOCKED = N_("Dit account is geblokkeerd. Neem contact op met de opleiding.")
ALREADY_LINKED = N_(
    "Aan dit account is al een ander account van deze instelling gekoppeld. Vraag uw opleiding om hulp."
)
LOGIN_EXPIRED = N_("Deze inlogpoging is verlopen of al gebruikt. Begin opnieuw vanaf de inlogpagina.")
TOO_MANY_LOGINS = N_(
    "Er zijn vanaf dit apparaat te veel inlogpogingen met een schoolaccount gestart. Wacht tien minuten en "
    "probeer het dan opnieuw."
)
ACTIVATION_INVALID = N_(
    "Deze activatielink is ongeldig, verlopen of al gebruikt. Vraag de opleidingscoördinator om een nieuwe "
    "welkomstmail."
)

# Whether one of the person's programmes allows / explicitly lists an institution (app/cohorts/sso_institutions.py,
# handed in by the interface: programmes sit above accounts).
InstitutionRule = Callable[[int, str | None], bool]


# --- the login in progress ---------------------------------------------------------------------------------------


class TooManyLogins(SsoRefused):
    status_code = 429


def begin_login(
    session: Session, *, provider: str, next: str, activation_token_id: int | None, client_hash: str
) -> tuple[str, str, str, str]:
    """A new login's (state, nonce, code_verifier, browser token). The browser token goes into a cookie: the
    callback must come back to the browser that started it (login CSRF). A client with MAX_LOGINS_PER_CLIENT
    unfinished logins of the last LOGIN_MINUTES gets TooManyLogins and no row."""
    session.exec(delete(SsoLoginState).where(col(SsoLoginState.expires_at) <= utcnow()))
    live = session.exec(
        select(func.count()).select_from(SsoLoginState).where(SsoLoginState.client_hash == client_hash)
    ).one()
    if live >= MAX_LOGINS_PER_CLIENT:
        raise TooManyLogins(TOO_MANY_LOGINS)
    state, nonce, verifier, browser = (
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(48),
        secrets.token_urlsafe(32),
    )
    session.add(
        SsoLoginState(
            state_hash=digest(state),
            browser_hash=digest(browser),
            provider=provider,
            nonce=nonce,
            code_verifier=verifier,
            next=next,
            activation_token_id=activation_token_id,
            client_hash=client_hash,
            expires_at=utcnow() + timedelta(minutes=LOGIN_MINUTES),
        )
    )
    session.flush()
    return state, nonce, verifier, browser


def take_login(session: Session, *, provider: str, state: str, browser_token: str | None) -> SsoLoginState:
    """The login this callback finishes, taken once: a replayed callback, a foreign browser or an old state is
    refused. The row is deleted in one statement, so of two concurrent callbacks only one gets it."""
    row = session.exec(select(SsoLoginState).where(SsoLoginState.state_hash == digest(state))).first()
    if row is None:
        raise SsoRefused(LOGIN_EXPIRED)
    deleted = session.exec(delete(SsoLoginState).where(col(SsoLoginState.id) == row.id))
    if (
        deleted.rowcount != 1
        or row.provider != provider
        or not browser_token
        or not secrets.compare_digest(row.browser_hash, digest(browser_token))
        or as_utc(row.expires_at) <= utcnow()
    ):
        raise SsoRefused(LOGIN_EXPIRED)
    return row


# --- the rule: which user an identity belongs to -----------------------------------------------------------------


def _activation_user(session: Session, *, token_id: int) -> tuple[PasswordResetToken, User]:
    token = session.get(PasswordResetToken, token_id)
    user = session.get(User, token.user_id) if token else None
    if (
        token is None
        or user is None
        or token.kind != TokenKind.activation.value
        or token.used_at is not None
        or as_utc(token.expires_at) <= utcnow()
    ):
        raise SsoRefused(ACTIVATION_INVALID)
    return token, user


def _take_activation(session: Session, *, token: PasswordResetToken) -> None:
    """Single use, with one conditional UPDATE (as `links.take_token`): of two concurrent uses, one wins."""
    taken = session.exec(
        update(PasswordResetToken)
        .where(col(PasswordResetToken.id) == token.id, col(PasswordResetToken.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if taken.rowcount != 1:
        raise SsoRefused(ACTIVATION_INVALID)


def normalise_principal_name(value: str) -> str:
    return value.strip().lower()


def _by_imported(
    session: Session, *, field: str, value: str | None, claims: Claims, listed: InstitutionRule
) -> User | None:
    """The one user whose imported `field` (student number, principal name) is `value`, and only at an
    institution one of that person's programmes lists: such a value means nothing outside the school that issued
    it."""
    if not value or not claims.institution:
        return None
    users = session.exec(select(User).where(getattr(User, field) == value)).all()
    matches = [u for u in users if u.id is not None and listed(u.id, claims.institution)]
    return matches[0] if len(matches) == 1 else None


def _ensure_may_sign_in(session: Session, *, user: User, claims: Claims, allowed: InstitutionRule) -> None:
    assert user.id is not None
    if not user.is_active or user.erased_at is not None:
        raise SsoRefused(BLOCKED)
    if not allowed(user.id, claims.institution):
        raise SsoRefused(INSTITUTION_REFUSED)


def sign_in(
    session: Session,
    *,
    claims: Claims,
    activation_token_id: int | None,
    allowed: InstitutionRule,
    listed: InstitutionRule,
) -> User:
    """The user behind a verified sign-in, linking the identity first when this sign-in may link it; the kept
    claims are refreshed. Raises SsoRefused (nothing written) for an unknown identity or a refused one."""
    identity = session.exec(
        select(SignInIdentity).where(SignInIdentity.issuer == claims.issuer, SignInIdentity.sub == claims.sub)
    ).first()
    token: PasswordResetToken | None = None
    how = "activation"
    if identity is not None:
        user = session.get(User, identity.user_id)
        assert user is not None
        if activation_token_id is not None:
            token, invited = _activation_user(session, token_id=activation_token_id)
            if invited.id != user.id:
                raise SsoRefused(ALREADY_LINKED)
    elif activation_token_id is not None:
        token, user = _activation_user(session, token_id=activation_token_id)
    else:
        principal = normalise_principal_name(claims.principal_name) if claims.principal_name else None
        for how, value in (("student_number", claims.student_number), ("principal_name", principal)):
            found = _by_imported(session, field=how, value=value, claims=claims, listed=listed)
            if found is not None:
                break
        if found is None:
            raise SsoRefused(NOT_LINKED)
        user = found
    _ensure_may_sign_in(session, user=user, claims=claims, allowed=allowed)
    assert user.id is not None
    if identity is None:
        other = session.exec(
            select(SignInIdentity).where(SignInIdentity.issuer == claims.issuer, SignInIdentity.user_id == user.id)
        ).first()
        if other is not None:
            raise SsoRefused(ALREADY_LINKED)
        identity = SignInIdentity(issuer=claims.issuer, sub=claims.sub, user_id=user.id)
        audit.record(
            session,
            actor_id=user.id,
            action="user.sso_linked",
            object_type="user",
            object_id=user.id,
            data={"issuer": claims.issuer, "via": how},
        )
    if token is not None:
        _take_activation(session, token=token)
    identity.schac_home_organization = claims.institution
    identity.eduperson_affiliation = claims.affiliation
    identity.name = claims.name
    identity.email = claims.email
    identity.last_login_at = utcnow()
    session.add(identity)
    session.flush()
    return user


def identities_of(session: Session, *, user_id: int) -> list[SignInIdentity]:
    return list(session.exec(select(SignInIdentity).where(SignInIdentity.user_id == user_id)).all())
