"""Prometheus metrics: requests per route template, the database pool, and the product's own gauges.

Request and pool metrics are counted as they happen (in every worker process: with PROMETHEUS_MULTIPROC_DIR set,
prometheus-client keeps them in files there and a scrape sums them). The product's gauges are read from the
database at scrape time, so any process answers them alike. Upload bytes are counted in `app.storage.metrics`."""

import atexit
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func
from sqlmodel import Session, col, select
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.models import AuditChainHead
from app.db import as_utc, utcnow
from app.evidence.models import Slot, SlotStatus, Submission
from app.notifications.models import OutboxMessage
from app.privacy.models import PrivacyExport
from app.readiness.models import Dossier

UNKNOWN_ROUTE = "onbekend"  # every path without a route: one label, not one per URL tried

REQUESTS = Counter("portfolio_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "portfolio_http_request_duration_seconds",
    "Time until the response is sent, queueing included",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
POOL_CHECKED_OUT = Gauge(
    "portfolio_db_pool_checked_out", "Database connections checked out of the pool", multiprocess_mode="livesum"
)


def multiproc_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


if multiproc_dir():
    # A worker that stops drops its live gauges (the pool) from the sum.
    atexit.register(lambda: multiprocess.mark_process_dead(os.getpid()))


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:  # refused before routing (body limit, queue): find what it would have matched
        app = scope.get("app")
        for candidate in getattr(getattr(app, "router", None), "routes", []):
            if candidate.matches(scope)[0] == Match.FULL:
                route = candidate
                break
    return str(getattr(route, "path", None) or UNKNOWN_ROUTE)


def instrument_engine(engine: Engine) -> None:
    """Count the pool's checked-out connections; once per engine."""
    if event.contains(engine, "checkout", _checked_out):
        return
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)


def _checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
    record.info["portfolio_metrics"] = True
    POOL_CHECKED_OUT.inc()


def _checked_in(_dbapi: Any, record: Any) -> None:
    # Only what was counted: a connection checked out before instrumenting must not drive the gauge below zero.
    if record is not None and record.info.pop("portfolio_metrics", False):
        POOL_CHECKED_OUT.dec()


class RequestMetrics:
    """Count each HTTP request and its latency under its route's template (`/bewijs/{evidence_id}`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = getattr(getattr(scope.get("app"), "state", None), "engine", None)
        if engine is not None:
            instrument_engine(engine)
        start = time.perf_counter()
        status = 500

        async def send_noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting)
        finally:
            route, method = route_template(scope), scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - start)


def _age_seconds(oldest: datetime | None, now: datetime) -> float:
    return max((now - as_utc(oldest)).total_seconds(), 0.0) if oldest else 0.0


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class ProductCollector(Collector):
    """The product's gauges, read from the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[Metric]:
        return []  # registered per scrape: no need to run the queries to learn the names

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        try:
            with Session(self.engine) as session:
                metrics = list(self._read(session, now))
        except Exception:  # the scrape still answers: the request and pool metrics matter most then
            yield _gauge("portfolio_db_up", "1 when the product gauges could be read", 0)
            return
        yield _gauge("portfolio_db_up", "1 when the product gauges could be read", 1)
        yield from metrics

    def _read(self, session: Session, now: datetime) -> Iterator[Metric]:
        unsent = col(OutboxMessage.sent_at).is_(None)
        count, oldest = session.exec(select(func.count(), func.min(OutboxMessage.created_at)).where(unsent)).one()
        yield _gauge("portfolio_outbox_backlog", "Outbox messages not yet sent", count)
        yield _gauge(
            "portfolio_outbox_oldest_age_seconds", "Age of the oldest unsent outbox message", _age_seconds(oldest, now)
        )
        failed = session.exec(select(func.count()).where(unsent, col(OutboxMessage.attempts) > 0)).one()
        yield _gauge("portfolio_outbox_failed", "Unsent outbox messages whose delivery failed at least once", failed)

        count, oldest = session.exec(
            select(func.count(), func.min(Submission.submitted_at))
            .join(Slot, col(Slot.submission_id) == Submission.id)
            .where(col(Slot.status) == SlotStatus.ter_aftekening.value)
        ).one()
        yield _gauge("portfolio_signoff_open_requests", "Sign-off requests waiting for a decision", count)
        yield _gauge(
            "portfolio_signoff_oldest_open_age_seconds",
            "Age of the oldest sign-off request waiting for a decision",
            _age_seconds(oldest, now),
        )

        jobs = GaugeMetricFamily(
            "portfolio_build_jobs", "Dossier and export builds waiting or running", labels=["kind", "status"]
        )
        for kind, model in (("dossier", Dossier), ("export", PrivacyExport)):
            counts = dict(
                session.exec(
                    select(model.status, func.count())
                    .where(col(model.status).in_(("wacht", "bezig")))
                    .group_by(model.status)
                ).all()
            )
            for status in ("wacht", "bezig"):
                jobs.add_metric([kind, status], counts.get(status, 0))
        yield jobs

        head = session.exec(select(AuditChainHead.row_count)).first()
        yield _gauge("portfolio_audit_chain_length", "Events in the audit chain", head or 0)


def render(engine: Engine) -> tuple[bytes, str]:
    """The exposition text: this process's (or every worker's) counted metrics, then the product's gauges."""
    if multiproc_dir():
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    product = CollectorRegistry()
    product.register(ProductCollector(engine))
    return generate_latest(counted) + generate_latest(product), CONTENT_TYPE_LATEST


def prepare_multiprocess() -> None:
    """For `portfolio serve --workers N`: /metrics sums the workers' counts from files in PROMETHEUS_MULTIPROC_DIR
    (prometheus-client's multiprocess mode); the workers inherit the variable. A fresh directory unless one is set:
    counts left by an earlier run must not be added."""
    import os
    import tempfile

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portfolio-metrics-")
