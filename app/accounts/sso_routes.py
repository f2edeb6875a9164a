"""Sign in with the school's account: /login/sso/{name} starts it (a GET link: the CSP's form-action stays
'self'), /login/sso/{name}/callback finishes it and starts our own session, as a password login does."""

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import service, sso, sso_link
from app.accounts.links import INVALID_TOKEN, valid_token
from app.accounts.models import TokenKind
from app.cohorts import sso_institutions
from app.db import DB
from app.errors import NotFound
from app.web import public, redirect, render, set_session_cookie, settings_of, templates

router = APIRouter()

BROWSER_COOKIE = "pf_sso"
_PLAIN_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_\-]*")


def _next(target: str | None) -> str:
    """Only a plain same-site path survives the round trip through the provider (never an open redirect)."""
    return target if target and len(target) <= 500 and _PLAIN_PATH.fullmatch(target) else "/"


def _links(request: Request) -> list[sso.Provider]:
    return list(sso.providers(settings_of(request)).values())


# The login and activation pages show one link per configured issuer (none when SSO is off).
templates.env.globals["sso_providers"] = _links


def _refused(request: Request, exc: sso.SsoRefused | sso.ProviderUnavailable) -> Response:
    response = render(request, "accounts/sso_refused.html", {"message": exc.message}, status_code=exc.status_code)
    response.delete_cookie(BROWSER_COOKIE, path="/login/sso")
    return response


@router.get("/login/sso/{name}", dependencies=[Depends(public)])
def start(
    request: Request, name: str, next: str | None = None, activatie: str | None = None, db: Session = DB
) -> Response:
    settings = settings_of(request)
    provider = sso.provider(settings, name)
    token_id = None
    if activatie is not None:
        token = valid_token(db, token=activatie, kind=TokenKind.activation)
        if token is None:
            raise NotFound(INVALID_TOKEN[TokenKind.activation])
        token_id = token.id
    client = request.client.host if request.client else "onbekend"
    try:
        state, nonce, verifier, browser = sso_link.begin_login(
            db,
            provider=provider.name,
            next=_next(next),
            activation_token_id=token_id,
            client_hash=service.client_hash(client),
        )
        url = sso.authorization_url(provider, settings=settings, state=state, nonce=nonce, code_verifier=verifier)
    except sso_link.TooManyLogins as exc:
        refused = _refused(request, exc)
        refused.headers["Retry-After"] = str(sso_link.LOGIN_MINUTES * 60)
        return refused
    except (sso.SsoRefused, sso.ProviderUnavailable) as exc:
        return _refused(request, exc)
    response = redirect(url)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=settings.cookie_secure,
        max_age=sso_link.LOGIN_MINUTES * 60,
        path="/login/sso",
    )
    return response


@router.get("/login/sso/{name}/callback", dependencies=[Depends(public)])
def callback(
    request: Request,
    name: str,
    state: str = "",
    code: str = "",
    db: Session = DB,
) -> Response:
    settings = settings_of(request)
    provider = sso.provider(settings, name)
    try:
        login = sso_link.take_login(
            db, provider=provider.name, state=state, browser_token=request.cookies.get(BROWSER_COOKIE)
        )
        if not code:  # the provider's own refusal (error=access_denied, ...), or a tampered callback
            raise sso.SsoRefused(sso.REFUSED)
        claims = sso.signed_in_claims(
            provider, settings=settings, code=code, code_verifier=login.code_verifier, nonce=login.nonce
        )
        user = sso_link.sign_in(
            db,
            claims=claims,
            activation_token_id=login.activation_token_id,
            allowed=lambda user_id, institution: sso_institutions.institution_allowed(
                db, user_id=user_id, institution=institution
            ),
            listed=lambda user_id, institution: sso_institutions.institution_listed(
                db, user_id=user_id, institution=institution
            ),
        )
    except (sso.SsoRefused, sso.ProviderUnavailable) as exc:
        return _refused(request, exc)
    token = service.start_session(
        db, user=user, settings=settings, previous_token=request.cookies.get(settings.session_cookie)
    )
    response = redirect(login.next)
    set_session_cookie(response, token, settings)
    response.delete_cookie(BROWSER_COOKIE, path="/login/sso")
    return response


@router.get("/uitgelogd", dependencies=[Depends(public)])
def signed_out(request: Request) -> Response:
    """After logout when SSO is on: our session ended; SURFconext has no single logout, so say so."""
    return render(request, "accounts/signed_out.html", {})
