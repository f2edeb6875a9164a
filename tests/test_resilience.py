"""What the fault drill counts on (issue #24): a database outage answers a clean 503 and the pool recovers by itself;
an unreachable object store answers 503 in Dutch and loses nothing saved; a background build left by a dead
process is built again, once; every mail carries a Message-ID that is the same on every try."""

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select, update

from app.audit.models import AuditEvent
from app.config import Settings
from app.db import is_database_outage, make_engine, utcnow
from app.errors import StorageUnavailable
from app.evidence.models import Blob, EvidenceVersion
from app.notifications import service as mail
from app.notifications.models import OutboxMessage
from app.privacy.export import build_waiting
from app.privacy.models import PrivacyExport
from app.readiness import builds
from app.readiness.dossier import build_stale
from app.readiness.models import Dossier
from app.storage import S3Storage
from tests.conftest import Browser, World, login
from tests.test_evidence import PDF, post_evidence
from tests.test_notifications import deliver, smtp_server, smtp_settings

DB_DOWN = "De database is even niet bereikbaar. Probeer het over een minuut opnieuw."
STORE_DOWN = "De opslag is tijdelijk niet bereikbaar. Uw gegevens zijn niet verloren; probeer het zo opnieuw."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the database gone or restarting ------------------------------------------------------------------------


def test_a_request_during_a_database_outage_answers_a_clean_503(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.student.email)
    assert client.get("/portfolio").status_code == 200
    working = app.state.engine
    # Nothing listens on this port: every connection is refused, as while PostgreSQL restarts.
    app.state.engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/weg")
    try:
        page = client.get("/portfolio")
        assert page.status_code == 503
        assert DB_DOWN in page.text and "Traceback" not in page.text and "psycopg" not in page.text
        api = client.get("/api/v1/me", headers={"Accept": "application/json"})
        assert api.status_code == 503 and api.json()["detail"] == DB_DOWN
        htmx = client.get("/portfolio", headers={"HX-Request": "true", "X-Form-Fout": "bewijs-fout"})
        assert htmx.status_code == 503 and DB_DOWN in htmx.text
        assert htmx.headers["HX-Retarget"] == "#bewijs-fout"
    finally:
        app.state.engine.dispose()
        app.state.engine = working
    assert client.get("/portfolio").status_code == 200  # back as soon as the database is


def test_a_query_error_that_is_no_outage_stays_a_500(app: FastAPI, world: World, client: Browser) -> None:
    # Only unreachable-database errors become 503: a bug must not hide behind "try again in a minute".
    assert not is_database_outage(DBAPIError("SELECT 1", {}, ValueError("no such column")))
    import psycopg

    assert is_database_outage(DBAPIError("SELECT 1", {}, psycopg.OperationalError("server closed the connection")))
    assert is_database_outage(psycopg.errors.AdminShutdown("terminating connection due to administrator command"))


@pytest.mark.postgres
def test_connections_killed_by_a_database_restart_are_replaced(app: FastAPI, world: World, client: Browser) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is unset")
    url = os.environ["TEST_DATABASE_URL"]
    login(client, world.student.email)
    assert client.get("/portfolio").status_code == 200
    # A control pool without pre-ping: its idle connection dies with the others below.
    control = create_engine(url, pool_size=1, pool_pre_ping=False)
    with control.connect() as conn:
        conn.execute(text("SELECT 1"))

    def kill_every_backend() -> int:
        with create_engine(url, poolclass=None).connect() as killer:
            killed = killer.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            killer.commit()
        return int(killed)

    try:
        assert kill_every_backend() >= 2  # the app's pooled connection(s) and the control's
        with pytest.raises(DBAPIError) as lost, control.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert is_database_outage(lost.value)
        # The app's pool pings before handing out a connection: the next request just works.
        assert client.get("/portfolio").status_code == 200
        assert client.get("/portfolio").status_code == 200
    finally:
        control.dispose()


# --- the object store unreachable ---------------------------------------------------------------------------


class PrivateS3:
    """A moto S3 server of this test's own, to stop and start again on the same port (moto keeps the buckets)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server: Any = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def private_s3() -> Iterator[PrivateS3]:
    s3 = PrivateS3()
    s3.start()
    try:
        yield s3
    finally:
        s3.stop()


@pytest.fixture
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    if "private_s3" not in request.fixturenames:
        return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}
    import uuid

    import boto3

    s3: PrivateS3 = request.getfixturevalue("private_s3")
    bucket = f"drill-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3.endpoint, region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return {
        "storage_backend": "s3",
        "storage_dir": tmp_path / "spool",
        "s3_bucket": bucket,
        "s3_endpoint_url": s3.endpoint,
        "s3_region": "eu-west-1",
        "s3_access_key": "t",
        "s3_secret_key": "t",
    }


def test_with_the_store_down_uploads_and_downloads_answer_503_and_nothing_saved_is_lost(
    app: FastAPI, db: Session, world: World, client: Browser, private_s3: PrivateS3
) -> None:
    login(client, world.student.email)
    first = post_evidence(client, app, [("verslag.pdf", PDF, "application/pdf")])
    assert first.status_code == 303, first.text
    evidence_id = int(first.headers["location"].rsplit("/", 1)[1])
    saved = db.exec(select(Blob)).one()

    private_s3.stop()
    started = time.monotonic()
    again = post_evidence(client, app, [("tweede.pdf", PDF, "application/pdf")], url=f"/bewijs/{evidence_id}")
    assert again.status_code == 503 and STORE_DOWN in again.text and "Traceback" not in again.text
    htmx = client.post(
        f"/bewijs/{evidence_id}",
        data={"title": "x", "activity_date": "2026-03-02", "kind": "verslag", "privacy": "ja", "eindterm": "IA-a"},
        files=[("files", ("derde.pdf", PDF, "application/pdf"))],
        headers={"HX-Request": "true", "X-Form-Fout": "bewijs-fout"},
    )
    assert htmx.status_code == 503 and STORE_DOWN in htmx.text and htmx.headers["HX-Retarget"] == "#bewijs-fout"
    download = client.get(f"/bestanden/{saved.id}")
    assert download.status_code == 503 and STORE_DOWN in download.text
    assert time.monotonic() - started < 30, "a page must not hang while the store is down"
    # Nothing half-written: still the one version, pointing at the one blob that exists.
    db.expire_all()
    assert len(db.exec(select(EvidenceVersion).where(EvidenceVersion.evidence_id == evidence_id)).all()) == 1
    assert [b.key for b in db.exec(select(Blob)).all()] == [saved.key]

    private_s3.start()
    back = client.get(f"/bestanden/{saved.id}")
    assert back.status_code == 200 and back.content == PDF  # the draft and its file are still there
    assert client.get(f"/bewijs/{evidence_id}").status_code == 200


def test_an_unreachable_endpoint_fails_fast_with_storage_unavailable(tmp_path: Path) -> None:
    storage = S3Storage(
        "weg",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region="eu-west-1",
        access_key="t",
        secret_key="t",
        spool_dir=tmp_path,
    )
    part = tmp_path / "a.part"
    part.write_bytes(b"inhoud")
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as refused:
        storage.publish(part, key="0" * 32, content_type="text/plain")
    assert refused.value.status_code == 503 and refused.value.message == STORE_DOWN
    assert not part.exists()  # the temp file never lingers
    with pytest.raises(StorageUnavailable):
        storage.open_chunks("0" * 32)
    with pytest.raises(StorageUnavailable):
        list(storage.iter_blobs())
    assert time.monotonic() - started < 20


def test_server_errors_count_as_unreachable_and_refusals_do_not() -> None:
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    from app.storage.s3 import is_unreachable

    def client_error(status: int, code: str) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")

    assert is_unreachable(client_error(503, "SlowDown")) and is_unreachable(client_error(500, "InternalError"))
    assert not is_unreachable(client_error(403, "AccessDenied")) and not is_unreachable(client_error(404, "NoSuchKey"))
    try:  # boto3's managed upload raises its own error while handling the client error (transfer.py)
        try:
            raise client_error(503, "ServiceUnavailable")
        except ClientError:
            raise S3UploadFailedError("Failed to upload")  # as boto3 does: no `from`
    except S3UploadFailedError as wrapped:
        assert is_unreachable(wrapped)  # the chain is followed


# --- background builds survive a dead process ---------------------------------------------------------------


STALE = timedelta(seconds=300)


def dossier_row(db: Session, world: World, status: str, *, age: timedelta, heartbeat: timedelta | None) -> Dossier:
    now = utcnow()
    row = Dossier(
        student_id=world.student.id or 0,
        requested_by_id=world.coordinator.id or 0,
        status=status,
        progress=40 if status == "bezig" else 0,
        created_at=now - age,
        heartbeat_at=None if heartbeat is None else now - heartbeat,
    )
    db.add(row)
    db.commit()
    return row


def statuses(db: Session, *rows: Dossier) -> list[str]:
    db.expire_all()
    return [db.get(Dossier, row.id).status for row in rows]  # type: ignore[union-attr]


def test_a_dossier_left_by_a_dead_process_is_built_by_one_worker_pass(app: FastAPI, db: Session, world: World) -> None:
    dead = dossier_row(db, world, "bezig", age=timedelta(minutes=20), heartbeat=timedelta(minutes=10))
    running = dossier_row(db, world, "bezig", age=timedelta(minutes=20), heartbeat=timedelta(seconds=20))
    forgotten = dossier_row(db, world, "wacht", age=timedelta(minutes=10), heartbeat=None)
    fresh = dossier_row(db, world, "wacht", age=timedelta(seconds=5), heartbeat=None)
    with Session(app.state.engine) as session:
        built = build_stale(
            session, utcnow(), storage=app.state.storage, registry=app.state.frameworks, older_than=STALE
        )
    assert built == 2
    assert statuses(db, dead, running, forgotten, fresh) == ["klaar", "bezig", "klaar", "wacht"]
    finished = db.get(Dossier, dead.id)
    assert finished is not None and finished.pdf_key and app.state.storage.exists(finished.pdf_key)
    # A later request task for the row it took over finds it done and builds nothing.
    assert builds.claim(app.state.engine, Dossier, dead.id or 0) is False


def test_two_workers_racing_for_an_abandoned_dossier_build_it_once(app: FastAPI, db: Session, world: World) -> None:
    dead = dossier_row(db, world, "bezig", age=timedelta(minutes=20), heartbeat=timedelta(minutes=10))
    barrier = threading.Barrier(2)
    claims: list[bool] = []

    def worker() -> None:
        barrier.wait()
        claims.append(builds.claim(app.state.engine, Dossier, dead.id or 0, stale_before=utcnow() - STALE))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claims) == [False, True]
    # And whole worker passes side by side: the row is built once.
    db.exec(update(Dossier).where(col(Dossier.id) == dead.id).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    db.commit()
    results: list[int] = []

    def worker_pass() -> None:
        with Session(app.state.engine) as session:
            barrier.wait()
            results.append(
                build_stale(
                    session, utcnow(), storage=app.state.storage, registry=app.state.frameworks, older_than=STALE
                )
            )

    threads = [threading.Thread(target=worker_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    db.expire_all()
    built = db.exec(select(AuditEvent).where(AuditEvent.action == "dossier.built")).all()
    assert len(built) == 1 and statuses(db, dead) == ["klaar"]


def test_a_running_build_keeps_its_lease_alive(
    app: FastAPI, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builds, "HEARTBEAT", timedelta(seconds=0.05))
    row = dossier_row(db, world, "wacht", age=timedelta(0), heartbeat=None)
    beats: list[Any] = []

    def slow_build() -> None:  # one large file or a long PDF: no progress for a while
        for _ in range(3):
            time.sleep(0.2)
            with Session(app.state.engine) as session:
                beats.append(session.get(Dossier, row.id).heartbeat_at)  # type: ignore[union-attr]

    assert builds.run(slow_build, engine=app.state.engine, model=Dossier, row_id=row.id or 0, log=None, what="x")  # type: ignore[arg-type]
    assert beats[0] < beats[1] < beats[2]


def test_an_export_zip_stuck_in_bezig_is_built_again_by_the_worker(app: FastAPI, db: Session, world: World) -> None:
    now = utcnow()
    person = world.student.id or 0

    def export(heartbeat: timedelta) -> PrivacyExport:
        row = PrivacyExport(
            subject_id=person,
            requested_by_id=person,
            status="bezig",
            progress=20,
            created_at=now - timedelta(minutes=30),
            heartbeat_at=now - heartbeat,
        )
        db.add(row)
        return row

    stuck, alive = export(timedelta(minutes=10)), export(timedelta(seconds=10))
    db.commit()
    with Session(app.state.engine) as session:
        assert build_waiting(session, utcnow(), storage=app.state.storage, settings=app.state.settings) == 1
    db.expire_all()
    assert db.get(PrivacyExport, stuck.id).status == "klaar"  # type: ignore[union-attr]
    assert db.get(PrivacyExport, alive.id).status == "bezig"  # type: ignore[union-attr]


# --- mail: one Message-ID per outbox row --------------------------------------------------------------------


def test_a_resent_mail_carries_the_same_message_id(app: FastAPI, db: Session, settings: Settings) -> None:
    first = mail.queue_mail(db, to="sandra@werk.nl", subject="Aftekening gevraagd", body="Beste Sandra, ...")
    second = mail.queue_mail(db, to="peter@werk.nl", subject="Aftekening gevraagd", body="Beste Peter, ...")
    db.commit()
    with smtp_server() as inbox:
        up = smtp_settings(settings, inbox.port)
        assert deliver(app, up).sent == 2
        # The worker died after the server accepted the first mail, before recording it: sent again.
        db.exec(update(OutboxMessage).where(col(OutboxMessage.id) == first.id).values(sent_at=None))
        db.commit()
        assert deliver(app, up, now=utcnow() + mail.LEASE + timedelta(seconds=1)).sent == 1  # after the lease
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 3 and ids[0] == ids[2] != ids[1], "a resend must be recognisable as the same message"
    assert re.fullmatch(rf"<outbox-{first.id}\.[0-9a-f]{{20}}@jobcoach\.example>", ids[0])
    assert re.fullmatch(rf"<outbox-{second.id}\.[0-9a-f]{{20}}@jobcoach\.example>", ids[1])
    # Keyed per installation: another school's portfolio sending from the same domain mints other ids.
    other = settings.model_copy(update={"audit_key": "een-andere-school"})
    row = db.get(OutboxMessage, first.id)
    assert row is not None
    assert mail.message_id(row.id or 0, row.created_at, settings=other, domain="jobcoach.example") != ids[0]
    assert mail.message_id(row.id or 0, row.created_at, settings=settings, domain="jobcoach.example") == ids[0]


def test_a_postgresql_engine_gives_up_connecting_after_a_few_seconds() -> None:
    """A database host that drops packets instead of refusing must not hold a request for minutes."""
    seen: list[dict[str, Any]] = []
    for url, expected in [
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", 5),
        ("postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2", None),  # the URL's own value stays
    ]:
        engine = make_engine(url)

        @event.listens_for(engine, "do_connect")
        def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
            seen.append(dict(cparams))
            raise RuntimeError("stop before the network")

        with pytest.raises(Exception, match="stop before the network"):
            engine.connect()
        params = seen.pop()
        assert params.get("connect_timeout") == (expected if expected is not None else "2"), params
        engine.dispose()
