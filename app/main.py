"""The application factory: settings, framework registry, middleware, error handling, routers."""

import asyncio
import logging
import re
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import validation, wiring
from app.bodylimit import UPLOAD_STATE, BodyLimit
from app.config import ROOT, Settings, get_settings
from app.db import is_database_outage, make_engine
from app.errors import DomainError, NotAuthenticated
from app.framework.registry import FrameworkRegistry, load_frameworks
from app.i18n import N_, gettext, set_locale
from app.logs import RedactTokens, RequestId
from app.ops.metrics import RequestMetrics
from app.ops.routes import PATHS as OPS_PATHS
from app.storage import storage_from_settings
from app.web import CSRF_COOKIE, csrf_protect, format_date, is_htmx, render, request_locale, wants_json

wiring.wire()  # hooks connected before any request or service runs (app/wiring.py)

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """Security headers on every response, and the random CSRF cookie on the first visit."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(CSRF_COOKIE)
        new_cookie = None if cookie and len(cookie) >= 32 else secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_cookie"] = cookie if new_cookie is None else new_cookie
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # File responses bring their own, stricter policy (sandbox).
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                if not scope["path"].startswith("/lti/"):  # LTI pages name their frame-ancestors (app/lti/routes)
                    headers["X-Frame-Options"] = "DENY"
                # Links can carry one-time tokens: never leak them to another site.
                headers["Referrer-Policy"] = "no-referrer"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if self.settings.cookie_secure:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if not is_static:
                    # Pages and API answers hold personal data: no shared or back-button caches.
                    headers["Cache-Control"] = "no-store"
                if new_cookie is not None:
                    secure = "; Secure" if self.settings.cookie_secure else ""
                    headers.append("Set-Cookie", f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if scope["state"].get("mail_queued"):
            # After the response: a reset link or an invitation should not wait for the worker's next pass.
            from app.notifications.tasks import deliver_outbox

            await run_in_threadpool(deliver_outbox, scope["app"])


class ActiveRequestLimit:
    """At most `limit` requests per process between arrival and their response's start, served first come first
    served (see `Settings.max_active_requests`). Static files and streamed uploads pass by: they mostly wait on
    the network, not on the CPU or the database. Logins queue in a lane of their own (`login_limit` at once): each
    checks an argon2 hash, and a flood of wrong passwords must not take the slots pages are served in."""

    def __init__(self, app: ASGIApp, limit: int, login_limit: int = 0) -> None:
        self.app = app
        self.limit = limit
        self.login_limit = login_limit  # 0: logins share the pages' slots
        # Made inside the event loop that serves (one per process; a test client may bring a new loop).
        self.slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore, asyncio.Semaphore | None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or _passes_by(scope):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self.slots is None or self.slots[0] is not loop:
            logins = asyncio.Semaphore(self.login_limit) if self.login_limit > 0 else None
            self.slots = (loop, asyncio.Semaphore(self.limit), logins)
        _, pages, logins = self.slots
        slots = logins if logins is not None and _is_login(scope) else pages
        await slots.acquire()
        held = True

        async def send_releasing(message: Message) -> None:
            nonlocal held
            # The work is done once the response starts; a streamed body (an export, a file) may take long.
            if held and message["type"] == "http.response.start":
                held = False
                slots.release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            if held:
                slots.release()


def _passes_by(scope: Scope) -> bool:
    # Only a body that BodyLimit let stream (a signed-in upload) is marked; any other body was read already.
    # Health and metrics too: a full queue must not make the instance look dead to its load balancer.
    return (
        scope["path"].startswith("/static/")
        or scope["path"] in OPS_PATHS
        or bool(scope.get("state", {}).get(UPLOAD_STATE))
    )


def _is_login(scope: Scope) -> bool:
    return scope["method"] == "POST" and scope["path"] == "/login"


# The id of the message area of the form that made an HTMX request (static/app.js sends it): an error goes there,
# next to the control that caused it, instead of to the top of the page.
FORM_ERROR_HEADER = "x-form-fout"
_FORM_ERROR_AREA = re.compile(r"[a-z][a-z0-9-]{0,63}-fout")


def _error_response(
    request: Request,
    status_code: int,
    message: str,
    details: list[Any] | None = None,
    *,
    params: dict[str, Any] | None = None,
    field: str | None = None,
) -> Response:
    set_locale(request_locale(request))
    text = gettext(message)
    if params:
        text = text % {k: format_date(v) if isinstance(v, date | datetime) else v for k, v in params.items()}
    if wants_json(request):
        from fastapi.responses import JSONResponse

        body: dict[str, Any] = {"detail": text, "errors": details or []}
        if field:
            body["field"] = field
        return JSONResponse(body, status_code=status_code)
    context = {"status": status_code, "message": text, "details": details or [], "field": field or ""}
    if is_htmx(request):
        area = request.headers.get(FORM_ERROR_HEADER, "")
        if _FORM_ERROR_AREA.fullmatch(area):
            # Into the form's own message area (static/app.js marks the field, shows and focuses the message).
            headers = {"HX-Retarget": f"#{area}", "HX-Reswap": "innerHTML"}
            return render(request, "layout/_form_error.html", context, status_code=status_code, headers=headers)
        # A form without a message area: the page's message area, instead of replacing the form being filled in.
        headers = {"HX-Retarget": "#meldingen", "HX-Reswap": "innerHTML"}
        return render(request, "error.html", context, status_code=status_code, headers=headers)
    return render(request, "error.html", context, status_code=status_code)


def create_app(settings: Settings | None = None, registry: FrameworkRegistry | None = None) -> FastAPI:
    settings = settings or get_settings()
    # A broken framework file stops start-up here, naming the file and the field.
    registry = registry or load_frameworks(Path(settings.framework_dir))

    app = FastAPI(
        title="Jobcoach-portfolio",
        version="0.1.0",
        dependencies=[Depends(csrf_protect)],
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    from app.audit import service as audit_chain

    audit_chain.configure(settings.audit_secret)  # the chain's HMAC key: AUDIT_KEY, else SECRET_KEY
    app.state.frameworks = registry
    app.state.engine = make_engine(settings.database_url)
    app.state.storage = storage_from_settings(settings)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, NotAuthenticated) and not wants_json(request):
            target = "/tweede-factor" if getattr(request.state, "pending_actor", None) else "/login"
            if request.method == "GET":
                # Percent-encoded: a path with non-Latin-1 or control characters must not break the header.
                target += "?next=" + quote(request.url.path, safe="/")
            if is_htmx(request):
                return Response(status_code=401, headers={"HX-Redirect": target})
            return Response(status_code=303, headers={"Location": target})
        return _error_response(request, exc.status_code, exc.message, exc.details, params=exc.params, field=exc.field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if validation.in_path(errors):  # /aftekenen/99999999999 or /bewijs/abc: no such page, like any unknown id
            return _error_response(request, 404, N_("Deze pagina bestaat niet."))
        set_locale(request_locale(request))
        return _error_response(
            request, 422, N_("De invoer is niet compleet of niet geldig."), validation.problems(errors)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: N_("Deze pagina bestaat niet."), 405: N_("Deze actie kan hier niet.")}
        return _error_response(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(DBAPIError)  # OperationalError included
    @app.exception_handler(psycopg.OperationalError)  # raised unwrapped when a raw connection is used
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        # The database is gone or restarting: a clean 503, and the next request gets a fresh connection
        # (pool_pre_ping). Any other database error stays a 500: that is a bug, not an outage.
        if not is_database_outage(exc):
            raise exc
        log.warning("database unreachable: %s", type(exc).__name__)  # the class only: messages quote parameters
        return _error_response(
            request, 503, N_("De database is even niet bereikbaar. Probeer het over een minuut opnieuw.")
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Starlette's error middleware sits outside ours: without this the 500 would leave without the request id
        # (the one thing a person can quote to the beheerder) and without the security headers. The exception is
        # still raised after this answer, so the server logs it with its traceback, under the same id.
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        try:
            response = _error_response(request, 500, N_("Er ging iets mis."))
        except Exception:  # the page itself may be what failed: a plain answer then
            response = Response("Er ging iets mis.", status_code=500, media_type="text/plain; charset=utf-8")
        response.headers.update(
            {
                "X-Request-ID": request_id,
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Cache-Control": "no-store",
            }
        )
        return response

    # Added inside out. The queue comes after the body limit, which reads small bodies before a slot is taken;
    # the security headers (which read no body) wrap both, so that their refusals carry the headers too.
    app.add_middleware(ActiveRequestLimit, limit=settings.max_active_requests, login_limit=settings.max_active_logins)
    app.add_middleware(BodyLimit, settings=settings, error_response=_error_response)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    app.add_middleware(RequestMetrics)  # the latency includes the queue and the body limit
    # Outermost: every line of the request carries its id, and the proxy headers are applied after the id's check.
    app.add_middleware(RequestId, trusted=settings.forwarded_allow_ips)
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access_log.filters):
        access_log.addFilter(RedactTokens())
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")

    from app.accounts import api as accounts_api
    from app.accounts import routes as accounts_routes
    from app.assessment import api as assessment_api
    from app.assessment import routes as assessment_routes
    from app.cohorts import api as cohorts_api
    from app.cohorts import guidance_routes, programme_routes, progress_routes
    from app.cohorts import routes as cohorts_routes
    from app.dashboard import api as dashboard_api
    from app.dashboard import routes as dashboard_routes
    from app.evidence import api as evidence_api
    from app.evidence import routes as evidence_routes
    from app.framework import api as framework_api
    from app.framework import routes as framework_routes
    from app.signoff import api as signoff_api
    from app.signoff import invite_routes, link_routes
    from app.signoff import routes as signoff_routes

    for module in (
        accounts_routes,
        dashboard_routes,
        framework_routes,
        cohorts_routes,
        progress_routes,
        programme_routes,
        guidance_routes,
        evidence_routes,
        signoff_routes,
        link_routes,
        invite_routes,
        assessment_routes,
    ):
        app.include_router(module.router)
    for module in (accounts_api, framework_api, cohorts_api, dashboard_api, evidence_api, signoff_api, assessment_api):
        app.include_router(module.router, prefix="/api/v1")
    from app.accounts import second_factor_routes, sso_routes  # school accounts: off without OIDC_PROVIDERS
    from app.cohorts import sso_routes as school_accounts_routes

    app.include_router(sso_routes.router)
    app.include_router(second_factor_routes.router)
    app.include_router(school_accounts_routes.router)
    from app.privacy import erasure_routes  # erasure on request, leaving the programme

    app.include_router(erasure_routes.router)
    from app.hours import api as hours_api  # praktijkuren
    from app.hours import routes as hours_routes

    app.include_router(hours_routes.router)
    app.include_router(hours_api.router, prefix="/api/v1")
    from app.privacy import api as privacy_api  # register, inzage (access log), exports, statement
    from app.privacy import routes as privacy_routes

    app.include_router(privacy_routes.router)
    app.include_router(privacy_api.router, prefix="/api/v1")
    from app.development import api as development_api  # deskundigheidsbevordering, register readiness
    from app.development import routes as development_routes

    app.include_router(development_routes.router)
    app.include_router(development_api.router, prefix="/api/v1")
    from app.lti import routes as lti_routes  # LTI 1.3 tool: launch from Brightspace, Canvas, Moodle
    from app.ops import routes as ops_routes  # /healthz, /readyz, /metrics

    app.include_router(lti_routes.router)
    app.include_router(ops_routes.router)
    return app
