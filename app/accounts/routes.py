"""Login, logout, password reset, the welcome mail's activation, language, and the beheerder's user list."""

import re
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import second_factor, service
from app.accounts.models import Role, TokenKind
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB, RowId
from app.errors import InvalidInput
from app.i18n import N_, SUPPORTED_LOCALES, lazy
from app.web import (
    LOCALE_COOKIE,
    optional_actor,
    public,
    redirect,
    redirect_with_notice,
    render,
    require,
    set_session_cookie,
    settings_of,
)

router = APIRouter()


# Printable ASCII only, no backslash: WHATWG parsers strip tab/CR/LF and read "\\" as "/", so "/\t/evil" and
# "/\\evil" leave the site; anything non-ASCII could not go into a Location header anyway.
_NEXT_OK = re.compile(r"/(?![/\\])[\x21-\x5b\x5d-\x7e]*")


def _safe_next(target: str | None) -> str:
    """A same-origin path to go to after login, or the start page: an open redirect is a phishing tool."""
    if not target or len(target) > 2000 or not _NEXT_OK.fullmatch(target):
        return "/"
    # The path is checked again after percent-decoding (several layers): a browser or proxy that decodes
    # "/%09/evil" or "/%2F%2Fevil" must not find an authority either. The query cannot change the origin.
    path = re.split(r"[?#]", target, maxsplit=1)[0]
    for _ in range(4):
        decoded = unquote(path)
        if decoded == path:
            return target
        if not _NEXT_OK.fullmatch(decoded):
            return "/"
        path = decoded
    return "/"


def start_page(actor: Actor) -> str:
    if actor.can(Permission.cohort_view):
        return "/cohorten"
    # Their work first: what waits for a signature or a score; "Mijn studenten" is one click away in the menu.
    if actor.can(Permission.signoff):
        return "/aftekenen"
    if actor.can(Permission.assess):
        return "/te-beoordelen"
    if actor.can(Permission.students_assigned):
        return "/mijn-studenten"
    if actor.can(Permission.portfolio_own):
        return "/portfolio"
    if actor.can(Permission.user_manage):
        return "/beheer/gebruikers"
    return "/kader"


@router.get("/", dependencies=[Depends(public)])
def home(actor: Actor | None = Depends(optional_actor)) -> Response:
    return redirect(start_page(actor) if actor else "/login")


@router.get("/login", dependencies=[Depends(public)])
def login_form(request: Request, next: str | None = None, actor: Actor | None = Depends(optional_actor)) -> Response:
    if actor is not None:
        return redirect(_safe_next(next) if next else start_page(actor))
    return render(request, "accounts/login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login", dependencies=[Depends(public)])
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    db: Session = DB,
) -> Response:
    settings = settings_of(request)
    client = request.client.host if request.client else "onbekend"
    try:
        user = service.authenticate(db, email=email, password=password, client=client, settings=settings)
    except service.AccountBlocked as exc:
        return render(
            request,
            "accounts/login.html",
            {"next": _safe_next(next), "email": email, "error": exc.message},
            status_code=403,
        )
    if user is None:
        return render(
            request,
            "accounts/login.html",
            {"next": _safe_next(next), "email": email, "error": N_("E-mailadres of wachtwoord klopt niet.")},
            status_code=400,
        )
    # A second factor, if the person has one or their role requires it: the session waits for it.
    token, step = second_factor.start_password_session(
        db,
        user=user,
        roles=service.roles_of(db, user_id=user.id or 0),
        settings=settings,
        previous_token=request.cookies.get(settings.session_cookie),
    )
    target = _safe_next(next) if next != "/" else "/"
    if step is not None:
        target = "/tweede-factor" + (f"?next={quote(target, safe='/')}" if target != "/" else "")
    response = redirect(target)
    set_session_cookie(response, token, settings)
    return response


@router.post("/logout", dependencies=[Depends(public)])
def logout(request: Request, db: Session = DB) -> Response:
    settings = settings_of(request)
    token = request.cookies.get(settings.session_cookie)
    if token:
        service.end_session(db, token=token)
    # With SSO on, the page says that SURFconext has no single logout (app/accounts/sso_routes.py).
    response = redirect("/uitgelogd" if settings.oidc_providers.strip() else "/login", request)
    response.delete_cookie(settings.session_cookie, path="/")
    return response


@router.get("/wachtwoord-vergeten", dependencies=[Depends(public)])
def forgot_form(request: Request) -> Response:
    return render(request, "accounts/forgot.html", {})


@router.post("/wachtwoord-vergeten", dependencies=[Depends(public)])
def forgot(
    request: Request,
    email: Annotated[str, Form()] = "",
    db: Session = DB,
) -> Response:
    client = request.client.host if request.client else "onbekend"
    settings = settings_of(request)
    # Shares the login limit: the reset form must not become a way to spam someone's inbox.
    if service.authenticate_limit_reached(db, email=email, client=client, settings=settings):
        return render(request, "accounts/forgot.html", {"sent": True})
    service.request_password_reset(db, email=email, settings=settings)
    service.record_failed_attempt(db, email=email, client=client)
    return render(request, "accounts/forgot.html", {"sent": True})


@router.get("/wachtwoord-herstellen/{token}", dependencies=[Depends(public)])
def reset_form(request: Request, token: str, db: Session = DB) -> Response:
    service.check_reset_token(db, token=token)
    return render(request, "accounts/reset.html", {"token": token})


@router.post("/wachtwoord-herstellen/{token}", dependencies=[Depends(public)])
def reset(
    request: Request,
    token: str,
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
    db: Session = DB,
) -> Response:
    if password != password_again:
        service.check_reset_token(db, token=token)
        return render(
            request,
            "accounts/reset.html",
            {"token": token, "error": N_("De wachtwoorden zijn niet gelijk.")},
            status_code=422,
        )
    try:
        service.reset_password(db, token=token, password=password)
    except InvalidInput as exc:
        return render(request, "accounts/reset.html", {"token": token, "error": exc.message}, status_code=422)
    return render(request, "accounts/reset_done.html", {})


@router.get("/activeren/{token}", dependencies=[Depends(public)])
def activate_form(request: Request, token: str, db: Session = DB) -> Response:
    """The welcome mail's link: looking changes nothing (mail scanners prefetch links); the form sets the password."""
    service.check_reset_token(db, token=token, kind=TokenKind.activation)
    return render(request, "accounts/activate.html", {"token": token})


@router.post("/activeren/{token}", dependencies=[Depends(public)])
def activate(
    request: Request,
    token: str,
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
    db: Session = DB,
) -> Response:
    if password != password_again:
        service.check_reset_token(db, token=token, kind=TokenKind.activation)
        return render(
            request,
            "accounts/activate.html",
            {"token": token, "error": N_("De wachtwoorden zijn niet gelijk.")},
            status_code=422,
        )
    try:
        service.reset_password(db, token=token, password=password, kind=TokenKind.activation)
    except InvalidInput as exc:
        return render(request, "accounts/activate.html", {"token": token, "error": exc.message}, status_code=422)
    return render(request, "accounts/activate.html", {"done": True})


@router.post("/taal", dependencies=[Depends(public)])
def switch_language(
    request: Request,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    actor: Actor | None = Depends(optional_actor),
    db: Session = DB,
) -> Response:
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput("Deze taal wordt niet ondersteund.")
    if actor is not None:
        service.set_locale(db, user_id=actor.id, locale=locale)
    response = redirect(_safe_next(next))
    response.set_cookie(LOCALE_COOKIE, locale, samesite="lax", max_age=365 * 24 * 3600, path="/")
    return response


# --- beheer -----------------------------------------------------------------------------------------


def _users_page(request: Request, db: Session, status_code: int = 200, **extra: object) -> Response:
    return render(
        request,
        "accounts/users.html",
        {
            "users": service.list_users(db),
            "roles": list(Role),
            "with_second_factor": second_factor.users_with_factor(db),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/beheer/gebruikers")
def users(request: Request, db: Session = DB, _: Actor = Depends(require(Permission.user_manage))) -> Response:
    return _users_page(request, db)


@router.post("/beheer/gebruikers")
def create_user(
    request: Request,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.user_manage)),
) -> Response:
    try:
        chosen = {Role(r) for r in roles or []}
    except ValueError:
        chosen = set()
    errors = []
    if not name.strip():
        errors.append(N_("Vul een naam in."))
    if "@" not in email:
        errors.append(N_("Vul een geldig e-mailadres in."))
    if not chosen:
        errors.append(N_("Kies minstens één rol."))
    if not errors:
        try:
            service.create_user(db, email=email, name=name, roles=chosen, actor_id=actor.id)
            service.request_password_reset(db, email=email, settings=settings_of(request))
        except InvalidInput as exc:
            errors.append(exc.message)
    if errors:
        return _users_page(request, db, errors=errors, form={"name": name, "email": email}, status_code=422)
    return redirect("/beheer/gebruikers", request)


@router.post("/beheer/gebruikers/{user_id}/blokkeren")
def disable_user(
    request: Request,
    user_id: RowId,
    bevestig: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.user_manage)),
) -> Response:
    if bevestig != "ja":  # destructive: ends the person's sessions at once; the form asks to confirm
        return _users_page(request, db, errors=[N_("Vink aan dat u dit account wilt blokkeren.")], status_code=422)
    user = service.set_active(db, user_id=user_id, active=False, actor_id=actor.id)
    return redirect_with_notice("/beheer/gebruikers", lazy("%(name)s is geblokkeerd.", name=user.name), request)


@router.post("/beheer/gebruikers/{user_id}/deblokkeren")
def enable_user(
    request: Request,
    user_id: RowId,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.user_manage)),
) -> Response:
    user = service.set_active(db, user_id=user_id, active=True, actor_id=actor.id)
    notice = lazy("%(name)s is gedeblokkeerd en kan weer inloggen.", name=user.name)
    return redirect_with_notice("/beheer/gebruikers", notice, request)
