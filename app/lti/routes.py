"""LTI 1.3 endpoints: the published key set, login initiation and the launch (public: the platform calls them),
and the beheerder's pages for registering platforms and rotating the tool's keys."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB, RowId, parse_row_id
from app.errors import InvalidInput
from app.i18n import N_
from app.lti import keys, launch, service
from app.web import public, redirect, render, require, set_session_cookie, settings_of

router = APIRouter()

# As app.main.CSP, with the registered platforms' origins as frame-ancestors (LTI pages open in their iframe).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors {ancestors}; base-uri 'none'; object-src 'none'"
)
BESTUUR = Depends(require(Permission.user_manage))


def framable(response: Response, db: Session) -> Response:
    ancestors = " ".join(["'self'", *service.frame_origins(db)])
    response.headers["Content-Security-Policy"] = _CSP.format(ancestors=ancestors)
    return response


def _refused(request: Request, db: Session, exc: launch.LtiRefused, cookie: str | None = None) -> Response:
    response = render(request, "lti/refused.html", {"message": exc.message}, status_code=exc.status_code)
    if cookie:
        response.delete_cookie(cookie, path="/lti/launch", secure=True, samesite="none")
    return framable(response, db)


@router.get("/lti/jwks", dependencies=[Depends(public)])
def jwks(request: Request, db: Session = DB) -> Response:
    return JSONResponse(keys.jwks(db, secret_key=settings_of(request).secret_key))


def _login(request: Request, params: dict[str, str], db: Session) -> Response:
    """OIDC third-party initiated login (LTI Core 5.1.1): back to the platform with a fresh state and nonce."""
    settings = settings_of(request)
    platform = service.find_platform(db, issuer=params.get("iss", ""), client_id=params.get("client_id") or None)
    login_hint = params.get("login_hint", "")
    target = params.get("target_link_uri", "")
    try:
        if platform is None:
            raise launch.LtiRefused(launch.UNKNOWN_PLATFORM)
        deployment = params.get("lti_deployment_id")
        if deployment and deployment not in platform.deployments():
            raise launch.LtiRefused(launch.UNKNOWN_DEPLOYMENT)
        if not login_hint or not target.startswith(settings.base_url.rstrip("/") + "/"):
            raise launch.LtiRefused(launch.INVALID_TOKEN)
    except launch.LtiRefused as exc:
        return _refused(request, db, exc)
    client = request.client.host if request.client else "onbekend"
    try:
        state, nonce, browser = launch.begin_launch(db, platform=platform, client_hash=accounts.client_hash(client))
    except launch.TooManyLaunches as exc:
        refused = _refused(request, db, exc)
        refused.headers["Retry-After"] = str(launch.LAUNCH_MINUTES * 60)
        return refused
    url = launch.authorization_url(
        platform,
        settings=settings,
        state=state,
        nonce=nonce,
        login_hint=login_hint,
        message_hint=params.get("lti_message_hint"),
    )
    response = Response(status_code=302, headers={"Location": url})
    # Sent back on the platform's cross-site form POST to /lti/launch: SameSite=None, so always Secure.
    response.set_cookie(
        launch.browser_cookie(state),
        browser,
        httponly=True,
        samesite="none",
        secure=True,
        max_age=launch.LAUNCH_MINUTES * 60,
        path="/lti/launch",
    )
    return response


LoginField = Annotated[str, Form(max_length=2000)]


@router.get("/lti/login", dependencies=[Depends(public)])
def login_get(
    request: Request,
    iss: str = "",
    login_hint: str = "",
    target_link_uri: str = "",
    lti_message_hint: str = "",
    client_id: str = "",
    lti_deployment_id: str = "",
    db: Session = DB,
) -> Response:
    params = {
        "iss": iss,
        "login_hint": login_hint,
        "target_link_uri": target_link_uri,
        "lti_message_hint": lti_message_hint,
        "client_id": client_id,
        "lti_deployment_id": lti_deployment_id,
    }
    return _login(request, params, db)


# CSRF-exempt (app.web.CSRF_EXEMPT): the platform posts it; it only starts a login, bound to this browser.
@router.post("/lti/login", dependencies=[Depends(public)])
def login_post(
    request: Request,
    iss: LoginField = "",
    login_hint: LoginField = "",
    target_link_uri: LoginField = "",
    lti_message_hint: LoginField = "",
    client_id: LoginField = "",
    lti_deployment_id: LoginField = "",
    db: Session = DB,
) -> Response:
    params = {
        "iss": iss,
        "login_hint": login_hint,
        "target_link_uri": target_link_uri,
        "lti_message_hint": lti_message_hint,
        "client_id": client_id,
        "lti_deployment_id": lti_deployment_id,
    }
    return _login(request, params, db)


# CSRF-exempt (app.web.CSRF_EXEMPT): the platform's signed id_token and the single-use nonce stand in for it.
@router.post("/lti/launch", dependencies=[Depends(public)])
def launch_post(
    request: Request,
    id_token: Annotated[str, Form(max_length=20000)] = "",
    state: Annotated[str, Form(max_length=200)] = "",
    db: Session = DB,
) -> Response:
    settings = settings_of(request)
    cookie = launch.browser_cookie(state) if state else None
    try:
        row = launch.take_launch(db, state=state, browser_token=request.cookies.get(cookie) if cookie else None)
        platform = service.get_platform(db, platform_id=row.platform_id)
        claims = launch.verify_id_token(id_token, platform=platform, nonce=row.nonce)
        user = launch.student_of(db, launch=launch.Launch(platform=platform, claims=claims))
    except launch.LtiRefused as exc:
        return _refused(request, db, exc, cookie)
    token = accounts.start_session(
        db, user=user, settings=settings, previous_token=request.cookies.get(settings.session_cookie)
    )
    response = redirect("/portfolio")
    set_session_cookie(response, token, settings)
    if cookie:
        response.delete_cookie(cookie, path="/lti/launch", secure=True, samesite="none")
    return response


# --- beheer ----------------------------------------------------------------------------------------------------


def _page(request: Request, db: Session, status_code: int = 200, **extra: object) -> Response:
    settings = settings_of(request)
    base = settings.base_url.rstrip("/")
    context = {
        "platforms": service.list_platforms(db),
        "contexts": service.unlinked_contexts(db),
        "cohorts": service.cohorts(db),
        "tool_urls": {"login": f"{base}/lti/login", "launch": f"{base}/lti/launch", "jwks": f"{base}/lti/jwks"},
        **extra,
    }
    return render(request, "lti/platforms.html", context, status_code=status_code)


Text = Annotated[str, Form(max_length=2000)]


def _platform_form(
    name: Text = "",
    issuer: Text = "",
    client_id: Text = "",
    deployment_ids: Text = "",
    auth_login_url: Text = "",
    token_url: Text = "",
    jwks_url: Text = "",
    frame_origin: Text = "",
) -> service.PlatformInput:
    return service.PlatformInput(
        name=name,
        issuer=issuer,
        client_id=client_id,
        deployment_ids=deployment_ids,
        auth_login_url=auth_login_url,
        token_url=token_url,
        jwks_url=jwks_url,
        frame_origin=frame_origin,
    )


PlatformForm = Annotated[service.PlatformInput, Depends(_platform_form)]


@router.get("/beheer/lti")
def platforms(request: Request, db: Session = DB, _: Actor = BESTUUR) -> Response:
    return _page(request, db)


@router.post("/beheer/lti")
def register(request: Request, data: PlatformForm, db: Session = DB, actor: Actor = BESTUUR) -> Response:
    try:
        service.register_platform(db, data=data, actor_id=actor.id)
    except InvalidInput as exc:
        return _page(request, db, status_code=422, errors=exc.details or [exc.message], form=data)
    return redirect("/beheer/lti", request)


@router.get("/beheer/lti/sleutels")
def key_page(request: Request, db: Session = DB, _: Actor = BESTUUR) -> Response:
    keys.ensure_key(db, secret_key=settings_of(request).secret_key)
    return render(request, "lti/keys.html", {"keys": keys.live_keys(db)})


@router.post("/beheer/lti/sleutels")
def rotate(request: Request, db: Session = DB, actor: Actor = BESTUUR) -> Response:
    keys.add_key(db, secret_key=settings_of(request).secret_key, actor_id=actor.id)
    return redirect("/beheer/lti/sleutels", request)


@router.post("/beheer/lti/sleutels/{key_id}/intrekken")
def retire(request: Request, key_id: RowId, db: Session = DB, actor: Actor = BESTUUR) -> Response:
    try:
        keys.retire_key(db, key_id=key_id, actor_id=actor.id)
    except keys.LastKey as exc:
        context = {"keys": keys.live_keys(db), "errors": [exc.message]}
        return render(request, "lti/keys.html", context, status_code=exc.status_code)
    return redirect("/beheer/lti/sleutels", request)


@router.get("/beheer/lti/{platform_id}")
def edit_page(request: Request, platform_id: RowId, db: Session = DB, _: Actor = BESTUUR) -> Response:
    platform = service.get_platform(db, platform_id=platform_id)
    return render(request, "lti/platform_edit.html", {"platform": platform, "form": platform.model_dump()})


@router.post("/beheer/lti/{platform_id}")
def edit(
    request: Request, platform_id: RowId, data: PlatformForm, db: Session = DB, actor: Actor = BESTUUR
) -> Response:
    platform = service.get_platform(db, platform_id=platform_id)
    try:
        service.update_platform(db, platform_id=platform_id, data=data, actor_id=actor.id)
    except InvalidInput as exc:
        context = {"platform": platform, "form": data, "errors": exc.details or [exc.message]}
        return render(request, "lti/platform_edit.html", context, status_code=422)
    return redirect("/beheer/lti", request)


@router.post("/beheer/lti/cursussen/{context_id}")
def link_context(
    request: Request,
    context_id: RowId,
    cohort_id: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = BESTUUR,
) -> Response:
    cohort = parse_row_id(cohort_id)
    if cohort is None:
        return _page(request, db, status_code=422, errors=[N_("Kies een cohort.")])
    try:
        service.link_context(db, context_row_id=context_id, cohort_id=cohort, actor_id=actor.id)
    except InvalidInput as exc:
        return _page(request, db, status_code=422, errors=[exc.message])
    return redirect("/beheer/lti", request)
