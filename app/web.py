"""Shared web plumbing: templates, the signed-in actor, permissions, CSRF and rendering."""

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel import Locale
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.permissions import Permission
from app.config import ROOT, Settings
from app.config import TIME_ZONE as TIME_ZONE  # moved down so that cores can read it
from app.db import DB, as_utc
from app.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from app.evidence.status import STATUS_LABELS, shown_status
from app.framework.service import plain_text
from app.i18n import DEFAULT_LOCALE, N_, SUPPORTED_LOCALES, Lazy, get_locale, gettext, ngettext, set_locale
from app.storage.spool import human_size

CSRF_COOKIE = "pf_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOCALE_COOKIE = "pf_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Posted by an LTI platform, cross-site: a signed id_token and a single-use nonce stand in for the token (app/lti).
CSRF_EXEMPT = frozenset({"/lti/login", "/lti/launch"})

_env = Environment(
    loader=FileSystemLoader(str(ROOT / "templates")),
    # Templates ship with the code: checking every file's mtime on each render is for `portfolio serve --reload`.
    auto_reload=os.environ.get("PORTFOLIO_TEMPLATE_RELOAD") == "1",
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    undefined=ChainableUndefined,  # `form.name` on a page without a form renders empty
)
_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_env)


@functools.lru_cache(maxsize=16)
def _babel_locale(code: str) -> Locale:
    """Parsed once per locale: a page with 56 dates would otherwise parse it 56 times."""
    return Locale.parse(code)


# One date format for every page and PDF ("4 december 2026", a time as "4 december 2026 14:05"), in the school's
# time zone: stored times are UTC, a Dutch user reads Dutch time (summer time included).
DATE_FORMAT = "d MMMM yyyy"
MONTH_FORMAT = "MMMM yyyy"


@functools.lru_cache(maxsize=8192)
def _formatted(value: date | datetime, fmt: str, locale: str) -> str:
    """Babel's formatting is the costliest part of a portfolio page (a date per slot); the same dates come back
    on every visit, so the text is kept."""
    from babel.dates import format_date, format_datetime

    if isinstance(value, datetime):
        return format_datetime(as_utc(value), f"{fmt} HH:mm", tzinfo=TIME_ZONE, locale=_babel_locale(locale))
    return format_date(value, fmt, locale=_babel_locale(locale))


def format_date(value: date | datetime | None, fmt: str = DATE_FORMAT) -> str:
    if value is None:
        return ""
    return _formatted(value, fmt, get_locale())


def _format_month(value: date | str | None) -> str:
    """A month as words ("november 2026"); accepts a date or a "2026-11" key."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        year, month = value.split("-")[:2]
        value = date(int(year), int(month), 1)
    return _formatted(value, MONTH_FORMAT, get_locale())


templates.env.filters["datum"] = format_date
templates.env.globals["status_labels"] = STATUS_LABELS  # one place: app.evidence.status
templates.env.globals["shown_status"] = shown_status
templates.env.filters["maand"] = _format_month
templates.env.filters["grootte"] = human_size
# An eindterm's text where no glossary word can be marked (an option, a tooltip): "kern*" shows as "kern". Pages
# that can mark it use the `eindterm_statement` macro (templates/_macros.html) instead.
templates.env.filters["eindterm_plain"] = plain_text
# `{{ message|t }}` translates a message computed in Python; unlike `_()` the result is still escaped.


def _translate(message: object, params: dict[str, Any] | None = None) -> str:
    """The `t` filter: a message in the page's language, with its parameters (a refusal's "%(entry)s") filled in,
    dates as the page writes them, like the error handler does for HTMX and JSON."""
    text = gettext(str(message))
    if params:
        text = text % {k: format_date(v) if isinstance(v, date | datetime) else v for k, v in params.items()}
    return text


templates.env.filters["t"] = _translate


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# --- CSRF: a signed double-submit token ----------------------------------------------------------


def _csrf_token(secret_key: str, raw: str) -> str:
    return hmac.new(secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def csrf_token_for(request: Request) -> str:
    """The token pages embed: an HMAC of the browser's random CSRF cookie (set by the middleware)."""
    return _csrf_token(settings_of(request).secret_key, request.state.csrf_cookie)


def csrf_matches(secret_key: str, cookie: str | None, sent: str | None) -> bool:
    """Whether `sent` is the token for this browser's CSRF cookie (also used before the body is read)."""
    # As bytes: compare_digest refuses non-ASCII text, and a header may carry any Latin-1.
    return bool(cookie and sent and secrets.compare_digest(sent.encode(), _csrf_token(secret_key, cookie).encode()))


async def csrf_protect(request: Request) -> None:
    """Every state-changing request carries the token: in a header (HTMX, API), a form field, or — for
    multipart uploads, whose body the route streams itself and which must not be read here — the query."""
    if request.method in SAFE_METHODS or request.url.path in CSRF_EXEMPT:
        return
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith("multipart/form-data"):
        sent = request.query_params.get(CSRF_FIELD)
    elif not sent and content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # cached on the request; the route reads the same form
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    secret_key = settings_of(request).secret_key
    if not request.cookies.get(CSRF_COOKIE) or not csrf_matches(secret_key, request.state.csrf_cookie, sent):
        raise Forbidden(N_("De beveiligingscode van dit formulier ontbreekt of is verlopen. Laad de pagina opnieuw."))


# --- who is asking --------------------------------------------------------------------------------


def optional_actor(request: Request, db: Session = DB) -> accounts.Actor | None:
    if hasattr(request.state, "actor"):
        cached: accounts.Actor | None = request.state.actor
        return cached
    settings = settings_of(request)
    token = request.cookies.get(settings.session_cookie)
    actor = accounts.resolve_session(db, token=token, settings=settings) if token else None
    if actor is not None and actor.pending_step:  # signed out, except on the second-factor pages
        request.state.pending_actor, actor = actor, None
    request.state.actor = actor
    return actor


# The two checks below do no I/O: `async def` keeps them on the event loop (a sync dependency is a thread hop).
async def current_actor(actor: accounts.Actor | None = Depends(optional_actor)) -> accounts.Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


def require(permission: Permission) -> Callable[..., Awaitable[accounts.Actor]]:
    """Dependency: the signed-in actor, holding `permission`; others get 404 (nothing to see here)."""

    async def dependency(actor: accounts.Actor = Depends(current_actor)) -> accounts.Actor:
        if not actor.can(permission):
            raise NotFound()
        return actor

    dependency.__permission__ = permission  # type: ignore[attr-defined]  # read by the authorization test
    return dependency


def public() -> None:
    """Marks a route that anyone may call (login, password reset, static pages)."""


public.__permission__ = "public"  # type: ignore[attr-defined]


# --- rendering ------------------------------------------------------------------------------------


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


@dataclass(frozen=True)
class Refusal:
    """A refused form action, shown on the re-rendered page in that form's message area (`area`, the id given to
    the form_error macro in templates/_macros.html), with the field to blame marked (#16 item 1)."""

    area: str
    error: DomainError

    @property
    def field(self) -> str | None:
        return self.error.field


def refuse(request: Request, area: str, error: DomainError) -> None:
    """Re-render the page with `error` next to the form whose message area is `area` (the next render's status
    is the caller's to set)."""
    request.state.refusal = Refusal(area=area, error=error)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A full page, or just its content block when HTMX asks (the template picks its base)."""
    # Set here, in the context that renders: a context variable set inside a threadpool dependency
    # would not reach the template.
    set_locale(request_locale(request))
    # A flash is for the page a redirect leads to, always a full navigation (`redirect` sends HX-Redirect to
    # HTMX): an HTMX fragment (a status poll, a filter) neither shows nor clears it, so a poll cannot eat it.
    flash = None if is_htmx(request) else read_flash(request)
    ctx: dict[str, Any] = {
        "request": request,
        "actor": getattr(request.state, "actor", None),
        "csrf_token": csrf_token_for(request),
        "locale": get_locale(),
        "locales": SUPPORTED_LOCALES,
        "htmx": is_htmx(request),
        "notice": getattr(request.state, "notice", None) or flash,
        "Permission": Permission,
        "refusal": getattr(request.state, "refusal", None),
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)
    if is_htmx(request):
        response.headers["Vary"] = "HX-Request"
    if FLASH_COOKIE in request.cookies and not is_htmx(request):
        response.delete_cookie(FLASH_COOKIE, path="/")  # one-shot: shown once, then gone
    return response


class _FragmentCache:
    """Rendered HTML of page parts that depend only on the data they show, keyed by that data.

    The key holds every value the fragment renders (so a change in the database is a new key, never a stale
    hit), plus template and locale. Per process and bounded: instances behind a load balancer each keep their own,
    and nothing has to be invalidated. Never for fragments that show the request, the actor or a token."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[object, ...], Markup] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Markup | None:
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
            return html

    def put(self, key: tuple[object, ...], html: Markup) -> None:
        with self.lock:
            self.entries[key] = html
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def fragment_cache(request: Request) -> _FragmentCache:
    """One cache per app (per process), made on first use: it lives as long as the framework files it renders."""
    cache: _FragmentCache | None = getattr(request.app.state, "fragment_cache", None)
    if cache is None:
        cache = request.app.state.fragment_cache = _FragmentCache(size=1024)
    return cache


def render_cached(request: Request, template: str, context: dict[str, Any], *, key: tuple[object, ...]) -> Markup:
    """A fragment's HTML, rendered once per distinct `key` (which must determine everything it shows)."""
    set_locale(request_locale(request))
    full_key = (template, get_locale(), *key)
    cache = fragment_cache(request)
    html = cache.get(full_key)
    if html is None:
        # Autoescaped like every template; Markup only stops the page from escaping it a second time.
        html = Markup(templates.env.get_template(template).render(context))  # noqa: S704
        cache.put(full_key, html)
    return html


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code)


# --- flash: a notice that survives a redirect, once ------------------------------------------------

FLASH_COOKIE = "pf_flash"


def _flash_sign(secret_key: str, payload: str) -> str:
    return hmac.new(secret_key.encode(), b"flash:" + payload.encode(), hashlib.sha256).hexdigest()


def _params(params: dict[str, object]) -> dict[str, object]:
    return {k: v if isinstance(v, int | float | str) else str(v) for k, v in params.items()}


def set_session_cookie(response: Response, token: str, settings: Settings) -> Response:
    """The session cookie after a sign-in, however it was made (password or school account): the same lifetime
    and flags for both."""
    response.set_cookie(
        settings.session_cookie,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_max_hours * 3600,
        path="/",
    )
    return response


def redirect_with_notice(url: str, notice: Lazy, request: Request) -> Response:
    """A 303 (or HX-Redirect) to the page that shows the result, carrying `notice` in a signed one-shot cookie;
    the next `render()` shows it in the page's language and clears the cookie."""
    data = json.dumps(
        {"s": notice.singular, "p": notice.plural, "n": notice.n, "params": _params(notice.params)},
        separators=(",", ":"),
    )
    payload = base64.urlsafe_b64encode(data.encode()).decode()
    response = redirect(url, request)
    response.set_cookie(
        FLASH_COOKIE,
        f"{payload}.{_flash_sign(settings_of(request).secret_key, payload)}",
        httponly=True,
        samesite="lax",
        secure=settings_of(request).cookie_secure,
        max_age=300,
        path="/",
    )
    return response


def read_flash(request: Request) -> Lazy | None:
    """The notice from a signed flash cookie, or None when absent or tampered with."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    payload, _, sig = raw.rpartition(".")
    if not secrets.compare_digest(sig.encode(), _flash_sign(settings_of(request).secret_key, payload).encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        return Lazy(str(data["s"]), data["p"], data["n"], dict(data["params"]))
    except (ValueError, KeyError, TypeError):
        return None


def redirect(url: str, request: Request | None = None) -> Response:
    """A 303 after a POST; HTMX gets HX-Redirect so it performs a full navigation."""
    if request is not None and is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return Response(status_code=303, headers={"Location": url})


def request_locale(request: Request) -> str:
    actor = getattr(request.state, "actor", None)
    if actor is not None:
        locale: str = actor.locale
        return locale
    cookie = request.cookies.get(LOCALE_COOKIE, "")
    if cookie in SUPPORTED_LOCALES:
        return cookie
    return DEFAULT_LOCALE
