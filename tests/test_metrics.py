"""/metrics: hidden unless configured, a token or an address lets Prometheus in; requests are labelled by route
template; the product's gauges follow the database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlmodel import Session, col

from app import cli
from app.audit import service as audit
from app.config import ROOT, Settings
from app.db import utcnow
from app.evidence.models import Submission
from app.notifications import service as notifications
from app.notifications.models import OutboxMessage
from app.ops.routes import metrics_access
from app.readiness.models import Dossier
from tests.conftest import Browser, World, login
from tests.test_signoff import submit
from tests.test_upload_safety import GOOD_FILES, post_files

TOKEN = "scrape-geheim-1234"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scrape(app: FastAPI, settings: Settings, client: Browser):  # type: ignore[no-untyped-def]
    app.state.settings = settings.model_copy(update={"metrics_token": TOKEN})

    def read(name: str, **labels: str) -> float | None:
        response = client.get("/metrics", headers=AUTH)
        assert response.status_code == 200, response.text
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return float(sample.value)
        return None

    return read


def test_metrics_do_not_exist_without_configuration(client: Browser) -> None:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 404
    assert "portfolio_" not in response.text


def test_a_token_is_needed_and_checked(app: FastAPI, settings: Settings, client: Browser) -> None:
    app.state.settings = settings.model_copy(update={"metrics_token": TOKEN})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer fout"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    assert "portfolio_http_requests_total" in response.text


def test_allowed_addresses(settings: Settings) -> None:
    by_ip = settings.model_copy(update={"metrics_allow_ips": "10.0.0.0/8, 192.168.1.5, onzin"})
    assert metrics_access(by_ip, None, "10.1.2.3") == 200
    assert metrics_access(by_ip, None, "192.168.1.5") == 200
    assert metrics_access(by_ip, None, "192.168.1.6") == 404  # only addresses: others see no page
    assert metrics_access(by_ip, None, "testclient") == 404
    both = by_ip.model_copy(update={"metrics_token": TOKEN})
    assert metrics_access(both, None, "8.8.8.8") == 401
    assert metrics_access(both, f"Bearer {TOKEN}", "8.8.8.8") == 200
    assert metrics_access(settings, f"Bearer {TOKEN}", "10.1.2.3") == 404


def test_requests_are_labelled_by_route_template(client: Browser, scrape) -> None:  # type: ignore[no-untyped-def]
    client.get("/bewijs/123")
    client.get("/bestaat/niet/4711")
    response = client.get("/metrics", headers=AUTH)
    assert 'route="/bewijs/{evidence_id}"' in response.text
    assert 'route="onbekend"' in response.text
    # No route label carries the URL's ids (a timestamp may contain the digits; a label may not).
    routes = set(re.findall(r'route="([^"]*)"', response.text))
    assert not [route for route in routes if "123" in route or "4711" in route]
    assert scrape("portfolio_http_request_duration_seconds_count", method="GET", route="/bewijs/{evidence_id}")
    assert scrape("portfolio_db_pool_checked_out") is not None


def test_outbox_gauges_follow_a_queued_mail(db: Session, scrape) -> None:  # type: ignore[no-untyped-def]
    assert scrape("portfolio_outbox_backlog") == 0
    assert scrape("portfolio_outbox_oldest_age_seconds") == 0
    notifications.queue_mail(db, to="a@school.nl", subject="Test", body="Hallo")
    db.commit()
    assert scrape("portfolio_outbox_backlog") == 1
    assert (scrape("portfolio_outbox_oldest_age_seconds") or 0) > 0
    assert scrape("portfolio_outbox_failed") == 0
    db.connection().execute(update(OutboxMessage).values(attempts=1, created_at=utcnow() - timedelta(minutes=20)))
    db.commit()
    assert scrape("portfolio_outbox_failed") == 1
    assert (scrape("portfolio_outbox_oldest_age_seconds") or 0) >= 20 * 60
    db.connection().execute(update(OutboxMessage).values(sent_at=utcnow()))
    db.commit()
    assert scrape("portfolio_outbox_backlog") == 0


def test_the_oldest_open_signoff_request(app: FastAPI, db: Session, world: World, scrape) -> None:  # type: ignore[no-untyped-def]
    assert scrape("portfolio_signoff_open_requests") == 0
    (first,) = submit(app, db, world, ["IA-a"])
    waiting_since = utcnow() - timedelta(days=15)
    db.connection().execute(update(Submission).where(col(Submission.id) == first.id).values(submitted_at=waiting_since))
    db.commit()
    assert scrape("portfolio_signoff_open_requests") == 1
    assert (scrape("portfolio_signoff_oldest_open_age_seconds") or 0) >= 15 * 86400


def test_build_jobs_and_the_audit_chain(db: Session, world: World, scrape) -> None:  # type: ignore[no-untyped-def]
    assert scrape("portfolio_build_jobs", kind="dossier", status="wacht") == 0
    db.add(Dossier(student_id=world.student.id or 0, requested_by_id=world.coordinator.id or 0))
    db.commit()
    assert scrape("portfolio_build_jobs", kind="dossier", status="wacht") == 1
    assert scrape("portfolio_build_jobs", kind="export", status="bezig") == 0
    before = scrape("portfolio_audit_chain_length") or 0
    audit.record(db, actor_id=world.admin.id, action="test.metrics", object_type="test")
    db.commit()
    assert scrape("portfolio_audit_chain_length") == before + 1


def test_upload_bytes_are_counted(world: World, client: Browser, scrape) -> None:  # type: ignore[no-untyped-def]
    before = scrape("portfolio_upload_bytes_total") or 0
    name, _kind, data = GOOD_FILES[0]
    login(client, world.student.email)
    assert post_files(client, [(name, data)]).status_code in (200, 303)
    assert scrape("portfolio_upload_bytes_total") == before + len(data)


def test_multiprocess_mode_sums_the_workers(tmp_path: Path, database_url: str) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, counts live in files: two processes' requests add up in one scrape."""
    count = (
        "from app.ops import metrics; metrics.REQUESTS.labels('GET', '/x', '200').inc(); metrics.POOL_CHECKED_OUT.inc()"
    )
    scrape = (
        "from app.db import make_engine; from app.ops import metrics; "
        f"print(metrics.render(make_engine({database_url!r}))[0].decode())"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, cwd=ROOT, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", scrape], env=env, cwd=ROOT, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    assert 'portfolio_http_requests_total{method="GET",route="/x",status="200"} 2.0' in out
    assert "portfolio_db_pool_checked_out 0.0" in out  # both exited: their live gauges are dropped
    assert "portfolio_outbox_backlog" in out


def test_serve_with_workers_sets_up_a_fresh_multiprocess_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    seen: dict[str, object] = {}
    monkeypatch.setattr(
        cli.uvicorn, "run", lambda *a, **kw: seen.update(kw, dir=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    )
    cli.serve(workers=2, host="127.0.0.1", port=0, reload=False, with_worker=False)
    made = Path(str(seen["dir"]))
    assert seen["workers"] == 2 and made.is_dir() and list(made.iterdir()) == []
    made.rmdir()
