"""Request bodies are capped before anything parses them.

FastAPI reads a route's form parameters (and Starlette spools multipart files to disk) before any dependency runs,
so CSRF and sign-in checks come too late to stop a large body. `BodyLimit` sits in front of all that:

- Every body may be at most `body_max_bytes` (64 KiB). A larger Content-Length is answered with 413 at once, unread;
  a body without one (chunked) is cut off with 413 as soon as it passes the cap. Such small bodies are read here
  in full, before the request takes one of the slots of `ActiveRequestLimit`: a slow client never holds a slot.
- Only the upload routes (endpoints marked `@large_body(budget)`) may carry more, and only for a request with a
  valid CSRF token and a live session (looked up in the database, off the event loop): their body streams to the
  route, up to the route's own budget. An anonymous or forged request never gets past the small cap.
- A body must keep arriving: within `body_timeout_seconds`, plus a second per `body_min_rate_bytes` received.
  Past that deadline the request gets 408 and its body is no longer read.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.i18n import N_

Budget = Callable[[Settings], tuple[int, str]]  # the most an upload request may carry, and the message beyond it
ErrorResponse = Callable[[Request, int, str], Response]
E = TypeVar("E", bound=Callable[..., Any])

TOO_LARGE = N_("Het verzoek is te groot. Verstuur minder tekst of gebruik het uploadformulier voor bestanden.")
TOO_SLOW = N_("Het verzoek kwam te langzaam binnen en is afgebroken. Controleer de verbinding en probeer het opnieuw.")
UPLOAD_STATE = "streamed_upload"  # set in scope["state"] for a body that streams to its route (see ActiveRequestLimit)


def large_body(budget: Budget) -> Callable[[E], E]:
    """Marks an upload route: a signed-in request with a valid CSRF token may send up to `budget(settings)` bytes."""

    def mark(endpoint: E) -> E:
        endpoint.__body_budget__ = budget  # type: ignore[attr-defined]
        return endpoint

    return mark


def upload_routes(app: Any) -> list[tuple[str, re.Pattern[str], Budget]]:
    """(method, path pattern, budget) of each route marked with `large_body`."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - FastAPI before lazily included routers
        contexts: Any = app.router.routes
    else:
        contexts = iter_route_contexts(app.router.routes)
    found = []
    for route in contexts:
        budget = getattr(getattr(route, "endpoint", None), "__body_budget__", None)
        path = getattr(route, "path", None)
        if budget is not None and path is not None:
            pattern = compile_path(path)[0]
            found += [(method, pattern, budget) for method in sorted(route.methods or ())]
    return found


class BodyRefused(ClientDisconnect):
    """Raised to the app when its streamed body is cut off: like a client that went away, nothing is kept."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class _Body:
    """The request's body messages, counted against `limit` and the arrival deadline."""

    def __init__(self, receive: Receive, *, limit: int, message: str, settings: Settings) -> None:
        self.receive_raw = receive
        self.limit = limit
        self.message = message
        self.timeout = settings.body_timeout_seconds
        self.min_rate = settings.body_min_rate_bytes
        self.received = 0
        self.started: float | None = None
        self.complete = False

    async def receive(self) -> Message:
        if self.complete:
            return await self.receive_raw()  # after the body only `http.disconnect` comes: no deadline
        now = time.monotonic()
        if self.started is None:
            self.started = now
        allowed = self.timeout + self.received / self.min_rate if self.min_rate > 0 else math.inf
        with anyio.move_on_after(self.started + allowed - now) as waiting:
            message = await self.receive_raw()
        if waiting.cancelled_caught:
            raise BodyRefused(408, TOO_SLOW)
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyRefused(413, self.message)
            self.complete = not message.get("more_body", False)
        return message


class BodyLimit:
    """See the module docstring. `error_response` renders the refusal (a Dutch page, or JSON under /api/)."""

    def __init__(self, app: ASGIApp, settings: Settings, error_response: ErrorResponse) -> None:
        self.app = app
        self.settings = settings
        self.error_response = error_response
        self.uploads: tuple[object, list[tuple[str, re.Pattern[str], Budget]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = self.settings
        declared = _content_length(scope)
        limit, message = settings.body_max_bytes, TOO_LARGE
        streamed = False
        budget = self._upload_budget(scope)
        if budget is not None and (declared is None or declared > limit) and await self._may_upload(scope):
            limit, message = budget(settings)
            streamed = True
        if declared is not None and declared > limit:
            await self._refuse(scope, send, 413, message)  # nothing of the body is read
            return
        body = _Body(receive, limit=limit, message=message, settings=settings)
        if streamed:
            scope.setdefault("state", {})[UPLOAD_STATE] = True
            await self._stream(scope, body, send)
            return
        chunks = []
        try:
            while not body.complete:
                received = await body.receive()
                if received["type"] == "http.disconnect":
                    return  # the client left before the body was complete: there is no one to answer
                chunks.append(received.get("body", b""))
        except BodyRefused as refused:
            await self._refuse(scope, send, refused.status_code, refused.message)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _stream(self, scope: Scope, body: _Body, send: Send) -> None:
        """The route reads the body itself; when it is cut off, whatever the route answers is replaced by ours."""
        refused: BodyRefused | None = None
        started = False

        async def receive() -> Message:
            nonlocal refused
            try:
                return await body.receive()
            except BodyRefused as exc:
                refused = exc
                raise

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            if refused is None or started:
                raise
        if refused is not None and not started:
            await self._refuse(scope, send, refused.status_code, refused.message)

    def _upload_budget(self, scope: Scope) -> Budget | None:
        app = scope.get("app")
        if app is None or scope["method"] != "POST":
            return None
        if self.uploads is None or self.uploads[0] is not app:
            self.uploads = (app, upload_routes(app))
        for method, pattern, budget in self.uploads[1]:
            if method == scope["method"] and pattern.match(scope["path"]):
                return budget
        return None

    async def _may_upload(self, scope: Scope) -> bool:
        """A valid CSRF token for this browser and a live session: checked before a single byte is read."""
        from sqlmodel import Session

        from app.accounts import service as accounts
        from app.web import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, csrf_matches

        request = Request(scope)
        settings = self.settings
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
        if len(cookie) < 32 or not csrf_matches(settings.secret_key, cookie, sent):
            return False
        token = request.cookies.get(settings.session_cookie)
        if not token:
            return False
        engine = scope["app"].state.engine

        def signed_in() -> bool:
            with Session(engine) as session:  # read only: closed without a commit
                return accounts.resolve_session(session, token=token, settings=settings) is not None

        return await anyio.to_thread.run_sync(signed_in)

    async def _refuse(self, scope: Scope, send: Send, status_code: int, message: str) -> None:
        response = self.error_response(Request(scope), status_code, message)
        # The rest of the body stays unread: the connection cannot carry another request.
        response.headers["Connection"] = "close"
        await response(scope, _no_more_body, send)


async def _no_more_body() -> Message:
    return {"type": "http.disconnect"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None  # counted while reading instead
            return length if length >= 0 else None
    return None
