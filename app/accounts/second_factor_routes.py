"""The second factor's pages: the code after a password login, setting up the authenticator app, one's own
settings, and the beheerder's reset (app/accounts/second_factor.py; docs/second-factor.md)."""

from typing import Annotated
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import Session

from app.accounts import second_factor
from app.accounts.identity import Actor
from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.routes import _safe_next, _users_page
from app.db import DB, RowId
from app.errors import Conflict, DomainError, InvalidInput, TooManyRequests
from app.i18n import N_, gettext, lazy
from app.web import (
    optional_actor,
    public,
    redirect,
    redirect_with_notice,
    refuse,
    render,
    require,
    set_session_cookie,
    settings_of,
)

router = APIRouter()

CODE_AREA = "code-fout"


def pending_actor(request: Request, _: Actor | None = Depends(optional_actor)) -> Actor | None:
    """The person behind a password login that still owes its second factor (web.optional_actor sets it aside:
    for every other page they are not signed in)."""
    pending: Actor | None = getattr(request.state, "pending_actor", None)
    return pending


def _client(request: Request) -> str:
    return request.client.host if request.client else "onbekend"


def _user(db: Session, actor: Actor) -> User:
    user = db.get(User, actor.id)
    assert user is not None  # the session was resolved in this request: the user exists and is active
    return user


def _signed_in_or_login(request: Request) -> str:
    """Where the code pages send someone who owes no code: signed in, their start page; otherwise the login."""
    return "/" if getattr(request.state, "actor", None) else "/login"


def _code_given(code: str) -> str:
    """An empty form is no guess: refused without counting it."""
    if not code.strip():
        raise InvalidInput(N_("Vul de code in."), field="code")
    return code


def _refused(request: Request, template: str, context: dict[str, object], error: DomainError) -> Response:
    """The form again, the message next to its field; what the service recorded (a failed attempt) is kept."""
    refuse(request, CODE_AREA, error)
    return render(request, template, context, status_code=error.status_code)


# --- after the password -----------------------------------------------------------------------------------------


@router.get("/tweede-factor", dependencies=[Depends(public)])
def code_form(request: Request, next: str | None = None, pending: Actor | None = Depends(pending_actor)) -> Response:
    if pending is None:
        return redirect(_signed_in_or_login(request))
    if pending.pending_step == second_factor.PENDING_ENROL:
        return redirect("/tweede-factor/instellen" + (f"?next={quote(_safe_next(next), safe='/')}" if next else ""))
    return render(request, "accounts/second_factor_code.html", {"next": _safe_next(next)})


@router.post("/tweede-factor", dependencies=[Depends(public)])
def give_code(
    request: Request,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    db: Session = DB,
    pending: Actor | None = Depends(pending_actor),
) -> Response:
    if pending is None or pending.pending_step != second_factor.PENDING_CODE:
        return redirect("/tweede-factor" if pending else _signed_in_or_login(request), request)
    settings = settings_of(request)
    user = _user(db, pending)
    try:
        second_factor.verify(db, user=user, code=_code_given(code), client=_client(request), settings=settings)
    except (InvalidInput, TooManyRequests) as exc:
        return _refused(request, "accounts/second_factor_code.html", {"next": _safe_next(next)}, exc)
    token = second_factor.complete_login(
        db, user=user, settings=settings, token=request.cookies.get(settings.session_cookie, "")
    )
    return set_session_cookie(redirect(_safe_next(next), request), token, settings)


# --- setting it up ------------------------------------------------------------------------------------------------


def _enrolling(request: Request, pending: Actor | None) -> Actor | None:
    """Whoever may set up a second factor here: a login that must enrol first, or someone signed in."""
    if pending is not None:
        return pending if pending.pending_step == second_factor.PENDING_ENROL else None
    actor: Actor | None = getattr(request.state, "actor", None)
    return actor if actor is not None and actor.can(Permission.signed_in) else None


def _enrol_context(secret: str, *, email: str, next: str) -> dict[str, object]:
    uri = second_factor.provisioning_uri(secret, email=email)
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, svgclass="qr-code", title=gettext("QR-code"))
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    # segno writes the SVG from the URI alone (no user text beyond the escaped e-mail address in it).
    return {"qr_svg": Markup(svg), "secret": grouped, "next": next}  # noqa: S704


@router.get("/tweede-factor/instellen", dependencies=[Depends(public)])
def enrol_form(
    request: Request, next: str | None = None, db: Session = DB, pending: Actor | None = Depends(pending_actor)
) -> Response:
    actor = _enrolling(request, pending)
    if actor is None:
        return redirect("/tweede-factor" if pending else "/login")
    try:
        secret = second_factor.begin_enrolment(db, user_id=actor.id, settings=settings_of(request))
    except Conflict:
        return redirect("/account/tweede-factor")
    context = _enrol_context(secret, email=actor.email, next=_safe_next(next))
    return render(request, "accounts/second_factor_enrol.html", {**context, "pending": pending is not None})


@router.post("/tweede-factor/instellen", dependencies=[Depends(public)])
def enrol(
    request: Request,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    db: Session = DB,
    pending: Actor | None = Depends(pending_actor),
) -> Response:
    actor = _enrolling(request, pending)
    if actor is None:
        return redirect("/tweede-factor" if pending else "/login", request)
    settings = settings_of(request)
    user = _user(db, actor)
    try:
        codes = second_factor.confirm_enrolment(
            db, user=user, code=_code_given(code), client=_client(request), settings=settings
        )
    except (InvalidInput, TooManyRequests) as exc:
        secret = second_factor.begin_enrolment(db, user_id=actor.id, settings=settings)
        context = {**_enrol_context(secret, email=actor.email, next=_safe_next(next)), "pending": pending is not None}
        return _refused(request, "accounts/second_factor_enrol.html", context, exc)
    onward = _safe_next(next) if pending is not None else "/account/tweede-factor"
    response = render(request, "accounts/second_factor_codes.html", {"codes": codes, "onward": onward})
    if pending is not None:
        token = second_factor.complete_login(
            db, user=user, settings=settings, token=request.cookies.get(settings.session_cookie, "")
        )
        set_session_cookie(response, token, settings)
    return response


# --- one's own account --------------------------------------------------------------------------------------------


def _account_page(request: Request, db: Session, actor: Actor, *, status_code: int = 200) -> Response:
    factor = second_factor.factor_of(db, user_id=actor.id)
    confirmed = factor is not None and factor.confirmed_at is not None
    return render(
        request,
        "accounts/second_factor_account.html",
        {
            "factor": factor if confirmed else None,
            "codes_left": second_factor.recovery_codes_left(db, user_id=actor.id) if confirmed else 0,
            "required": second_factor.is_required(roles=actor.roles, settings=settings_of(request)),
        },
        status_code=status_code,
    )


@router.get("/account/tweede-factor")
def account(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.signed_in))) -> Response:
    return _account_page(request, db, actor)


@router.post("/account/tweede-factor/herstelcodes")
def renew_codes(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.signed_in))) -> Response:
    codes = second_factor.renew_recovery_codes(db, user_id=actor.id)
    return render(request, "accounts/second_factor_codes.html", {"codes": codes, "onward": "/account/tweede-factor"})


@router.post("/account/tweede-factor/uitzetten")
def switch_off(
    request: Request,
    code: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.signed_in)),
) -> Response:
    try:
        second_factor.switch_off(
            db,
            user=_user(db, actor),
            roles=actor.roles,
            code=_code_given(code),
            client=_client(request),
            settings=settings_of(request),
        )
    except (InvalidInput, TooManyRequests) as exc:
        refuse(request, CODE_AREA, exc)
        return _account_page(request, db, actor, status_code=exc.status_code)
    return redirect_with_notice("/account/tweede-factor", lazy("Uw tweede factor staat uit."), request)


# --- the beheerder ------------------------------------------------------------------------------------------------


@router.post("/beheer/gebruikers/{user_id}/tweede-factor-resetten")
def reset(
    request: Request,
    user_id: RowId,
    bevestig: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.user_manage)),
) -> Response:
    if bevestig != "ja":  # destructive: the person's sessions end and they set it up again; the form asks to confirm
        errors = [N_("Vink aan dat u de tweede factor wilt resetten.")]
        return _users_page(request, db, errors=errors, status_code=422)
    user = second_factor.reset(db, user_id=user_id, actor_id=actor.id)
    notice = lazy(
        "De tweede factor van %(name)s is gereset; bij de volgende inlog stelt die een nieuwe in.", name=user.name
    )
    return redirect_with_notice("/beheer/gebruikers", notice, request)
