"""Structured logs: one JSON object per line (LOG_FORMAT=json) or readable text (LOG_FORMAT=text), for the app's own
`logging.getLogger(__name__)` loggers, uvicorn's error and access logs and the worker alike.

Every line passes one structlog formatter (`formatter`): ISO UTC timestamp, level, logger, event, then whatever
is bound in the context (contextvars): `request_id` during a request (`RequestId`), `job` and `run_id` in a
worker job (`bound`). One-time tokens and personal search terms in URLs are redacted on every line.
"""

import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor, WrappedLogger
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.config import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_TOKEN_PATH = re.compile(r"(/(?:link|wachtwoord-herstellen|activeren)/)[A-Za-z0-9_-]+")
# Streamed uploads carry the CSRF token in the query string (see app.web.csrf_protect), and the cohort overview's
# search (`zoek`: a name or student number) and workplace filter are personal, and the school sign-in's callback
# carries an authorization `code` and `state`: not for the logs either.
_TOKEN_QUERY = re.compile(r"([?&](?:csrf_token|zoek|werkplek|code|state)=)[^&#\s]+")


def redact_tokens(text: str) -> str:
    return _TOKEN_QUERY.sub(r"\1…", _TOKEN_PATH.sub(r"\1…", text))


class RedactTokens(logging.Filter):
    """Redacts the access log's arguments on the record itself, so that a handler not using `formatter` (another
    log setup, a test's capture) gets no usable token either."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(a) if isinstance(a, str) else a for a in record.args)
        return True


def _redact(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    return {key: redact_tokens(value) if isinstance(value, str) else value for key, value in event.items()}


def _access_fields(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """uvicorn's access line as fields (it logs `'%s - "%s %s HTTP/%s" %d'` with these five arguments)."""
    args = event.pop("positional_args", None)
    record = event.get("_record")
    if record is not None and record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, http_version, status = args
        event.update(client=client, method=method, path=path, http_version=http_version, status=status)
        event["event"] = f"{method} {path} {status}"
    return event


def _leading_fields(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    # The same four first on every line, for people reading along and for `cut`-style tools.
    first = {key: event.pop(key) for key in ("timestamp", "level", "logger", "event") if key in event}
    return {**first, **event}


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


def formatter(log_format: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The one formatter of every handler (named in `logging_config`, so uvicorn's worker processes build it too)."""
    _configure_structlog()
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if log_format == "text"
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared(), _access_fields],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,
            _leading_fields,
            renderer,
        ],
        pass_foreign_args=True,
    )


def _configure_structlog() -> None:
    # For code that logs through structlog itself; it ends in the same stdlib handlers and formatter.
    structlog.configure(
        processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: `portfolio serve` hands it to uvicorn (every worker process applies it),
    `portfolio worker` applies it itself. uvicorn's loggers lose their own handlers and propagate to the root's."""
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "app.logs.formatter", "log_format": settings.log_format}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "structured", "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }


def configure(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Adds `values` to every line logged inside (threads started by the threadpool and asyncio.run inherit it)."""
    with structlog.contextvars.bound_contextvars(**values):
        yield


def new_id() -> str:
    return uuid.uuid4().hex


class RequestId:
    """Gives each request an id: on every log line of the request (the access line too) and in the response's
    `X-Request-ID`. A proxy's `X-Request-ID` is kept only when the direct peer is one of FORWARDED_ALLOW_IPS and the
    value is short and plain; otherwise anyone could write chosen text into the logs or pose as another request.

    The proxy headers (X-Forwarded-For/-Proto) are applied here, after that check, instead of by uvicorn: uvicorn
    would replace the client address before the app could see who the direct peer was.
    """

    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.app = app
        self.proxy = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        request_id = None
        if peer and peer[0] in self.proxy.trusted_hosts:
            offered = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
            request_id = offered if _REQUEST_ID.fullmatch(offered) else None
        request_id = request_id or new_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        # Bound, not reset on the way out: uvicorn logs an unhandled error (and the 500's access line) after the
        # app returns, in this request's own task; the next request binds its own id.
        structlog.contextvars.bind_contextvars(request_id=request_id)
        await self.proxy(scope, receive, send_with_id)  # type: ignore[arg-type]
