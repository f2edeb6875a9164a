"""The fault drill (issue #24): two app instances and a worker on one private PostgreSQL cluster and one S3 bucket,
a client alternating between the instances, and faults: kill -9 mid-request, a database restart, an S3 outage, a
worker killed mid-delivery. Figures in test-results/fault-drill.json; 0 lost, 0 duplicated, no 5xx but 503.

Runs once, in the PostgreSQL pass (TEST_DATABASE_URL set, or REQUIRE_POSTGRES=1), on a cluster of its own: it
restarts PostgreSQL, which the shared one must not see. See docs/ops/fault-drill.md."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.drill import world
from tests.drill.client import Client, Scenario
from tests.drill.cluster import binaries_missing
from tests.drill.harness import Drill, bring_down, bring_up, storage_check
from tests.drill.services import Process

pytestmark = pytest.mark.postgres
RESULTS = Path(__file__).resolve().parent.parent / "test-results" / "fault-drill.json"
UPLOAD_BYTES = 200 * 1024 * 1024
OUTAGE_SECONDS = 20
# What an upload answers while S3 is down ("De opslag is tijdelijk niet bereikbaar." counts too).
STORE_DOWN = re.compile(r"opslag (is )?tijdelijk niet bereikbaar", re.IGNORECASE)


@pytest.fixture(scope="module")
def drill() -> Iterator[Drill]:
    require = os.environ.get("REQUIRE_POSTGRES") == "1"
    reason = binaries_missing() or (None if os.environ.get("TEST_DATABASE_URL") else "TEST_DATABASE_URL is not set")
    if reason:
        if require:
            pytest.fail(f"fault drill: {reason} (REQUIRE_POSTGRES=1)")
        pytest.skip(f"fault drill: {reason}")
    made = bring_up()
    try:
        yield made
    finally:
        seconds = time.monotonic() - made.started
        made.figures.write(RESULTS, seconds=seconds)
        print(f"\nFault drill ({seconds:.0f} s, logs in {made.logs}):\n{made.figures.table()}")
        bring_down(made)


def attempt(scenario: Scenario, send: Callable[[], httpx.Response]) -> httpx.Response | None:
    """One operation; a connection that fails (instance or database down) is no answer, not an error."""
    try:
        response = send()
    except httpx.TransportError:
        response = None
    scenario.answer(response)
    return response


def test_a_session_made_on_one_instance_works_on_the_other(drill: Drill) -> None:
    client = drill.client()
    client.login(world.UPLOADER, world.PASSWORD, instance=0)
    assert client.get("/portfolio", instance=1).status_code == 200
    assert client.get("/portfolio", instance=0).status_code == 200
    client.close()


def test_kill_an_instance_mid_upload(drill: Drill) -> None:
    scenario = drill.figures.scenario("kill -9 tijdens upload van 200 MB")
    client = drill.client(timeout=120)
    client.login(world.UPLOADER, world.PASSWORD)
    draft = client.post("/bewijs", data=world.draft_form("Concept met video"))
    assert draft.status_code == 303, draft.text[:500]
    evidence_path = draft.headers["location"]
    versions_before = drill.scalar("SELECT count(*) FROM evidence_version")
    blobs_before = drill.scalar("SELECT count(*) FROM blob")
    victim = drill.instances[0]

    for when in ("body", "publish"):  # mid-body; then with the body in, while the instance writes to S3
        sent = 0

        def body(when: str = when) -> Iterator[bytes]:
            nonlocal sent
            yield from _multipart_head()
            for chunk in world.mp4_body(UPLOAD_BYTES):
                sent += len(chunk)
                if when == "body" and sent >= UPLOAD_BYTES // 3 and victim.alive():
                    victim.kill9()
                yield chunk
            yield b"\r\n--drillboundary--\r\n"

        killer = (
            threading.Thread(target=_kill_when_multipart_starts, args=(drill, victim)) if when == "publish" else None
        )
        if killer:
            killer.start()
        scenario.tried += 1
        answer = attempt(
            scenario,
            lambda body=body: client.post(
                f"{evidence_path}",
                instance=0,
                content=body(),
                headers={"Content-Type": "multipart/form-data; boundary=drillboundary"},
            ),
        )
        if killer:
            killer.join(120)
        assert answer is None or answer.status_code >= 500 or not victim.alive(), "the instance was not killed"
        scenario.notes.append(f"{when}: {sent // (1 << 20)} MB sent; answer {answer and answer.status_code}")
        if not victim.alive():
            victim.start()

    # A refused answer means nothing was saved; a new version would only count if the client had been told.
    assert drill.scalar("SELECT count(*) FROM evidence_version") == versions_before
    assert drill.scalar("SELECT count(*) FROM blob") == blobs_before
    missing = drill.missing_blobs()
    scenario.lost += len(missing)
    assert not missing, f"rows point at missing objects: {missing}"
    visible = drill.s3.keys() - {r[0] for r in drill.rows("SELECT key FROM blob")}
    visible = {k for k in visible if not _known_output(drill, k)}
    assert not visible, f"visible objects nobody points at (partial upload?): {visible}"
    check = storage_check(drill)
    scenario.notes.append("storage check: " + " | ".join(check.stdout.split("\n")[:12]))
    assert check.returncode == 0, check.stdout + check.stderr
    assert client.get(evidence_path, instance=1).status_code == 200, "the draft is gone"
    client.close()


def _multipart_head() -> Iterator[bytes]:
    yield world.multipart_fields(world.draft_form("Concept met video, versie 2"), "drillboundary")
    yield (
        b'--drillboundary\r\nContent-Disposition: form-data; name="files"; filename="gesprek.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n"
    )


def _kill_when_multipart_starts(drill: Drill, victim: Process) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if drill.s3.partial_uploads():
                time.sleep(0.3)  # a part or two on its way
                victim.kill9()
                return
        except Exception:
            pass
        time.sleep(0.05)


def _known_output(drill: Drill, key: str) -> bool:
    """Dossier and export files are pointed at by their own rows."""
    return bool(
        drill.scalar(
            "SELECT count(*) FROM (SELECT pdf_key k FROM dossier UNION ALL SELECT zip_key FROM dossier "
            "UNION ALL SELECT zip_key FROM privacy_export) x WHERE :key LIKE '%' || k",
            key=key,
        )
    )


def test_kill_an_instance_mid_sign_off(drill: Drill) -> None:
    scenario = drill.figures.scenario("kill -9 tijdens aftekenen")
    setup = drill.client()
    pending = world.make_pending(setup, drill.engine, per_student=12)
    setup.close()
    by_supervisor: dict[str, list[int]] = {}
    for submission_id, email in drill.rows(
        "SELECT s.id, u.email FROM submission s JOIN user_account u ON u.id = s.supervisor_id WHERE s.id = ANY(:ids)",
        ids=pending,
    ):
        by_supervisor.setdefault(email, []).append(submission_id)
    supervisors = {}
    for email in by_supervisor:
        supervisors[email] = drill.client()
        supervisors[email].login(email, world.PASSWORD)
    victim = drill.instances[0]
    told: dict[int, int | None] = {}  # submission -> the status the client saw (None: no answer)

    def decide(email: str, submission_id: int) -> None:
        answer = attempt(
            scenario,
            lambda: supervisors[email].post(
                f"/api/v1/submissions/{submission_id}/decision", json={"decision": "afgetekend", "comment": ""}
            ),
        )
        told[submission_id] = answer.status_code if answer is not None else None

    jobs = [(email, s) for email, ids in by_supervisor.items() for s in ids]
    scenario.tried += len(jobs)
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(decide, email, s) for email, s in jobs]
        while sum(f.done() for f in futures) < 4:
            time.sleep(0.005)
        victim.kill9()
    victim.start()

    decided = dict(
        drill.rows(
            "SELECT submission_id, count(*) FROM sign_off WHERE submission_id = ANY(:ids) GROUP BY 1", ids=pending
        )
    )
    scenario.duplicated += sum(1 for n in decided.values() if n > 1)
    scenario.lost += sum(1 for s, status in told.items() if status == 201 and s not in decided)
    # The client tells which of its unanswered decisions were recorded: they are no longer in its pending list.
    unknown = [s for s, status in told.items() if status != 201]
    for email, client in supervisors.items():
        still = {i["submission_id"] for i in client.get("/api/v1/signoff/pending").json()["items"]}
        for s in by_supervisor[email]:
            if (s in decided) == (s in still):
                scenario.lost += 1  # the page and the database disagree
                scenario.notes.append(f"submission {s}: recorded={s in decided}, pending={s in still}")
            if s in still:  # not recorded: the client decides again
                scenario.tried += 1
                again = attempt(
                    scenario,
                    lambda s=s, client=client: client.post(
                        f"/api/v1/submissions/{s}/decision", json={"decision": "afgetekend", "comment": ""}
                    ),
                )
                assert again is not None and again.status_code == 201, again and again.text[:300]
        client.close()
    scenario.notes.append(f"{len(jobs)} decisions, {len(unknown)} without a 201, {len(pending) - len(decided)} redone")
    final = dict(
        drill.rows(
            "SELECT submission_id, count(*) FROM sign_off WHERE submission_id = ANY(:ids) GROUP BY 1", ids=pending
        )
    )
    assert final == {s: 1 for s in pending}
    assert scenario.ok, scenario


def _age(drill: Drill, table: str, row_id: int) -> None:
    """Make a row look abandoned an hour ago (the drill cannot wait for a real stale timeout)."""
    heartbeat = drill.scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = :t AND column_name = 'heartbeat_at'",
        t=table,
    )
    also = ", heartbeat_at = heartbeat_at - interval '1 hour'" if heartbeat else ""
    drill.execute(f"UPDATE {table} SET created_at = created_at - interval '1 hour'{also} WHERE id = :id", id=row_id)


def test_kill_an_instance_mid_dossier_build(drill: Drill) -> None:
    scenario = drill.figures.scenario("kill -9 tijdens dossier bouwen")
    client = drill.client()
    client.login(world.COORDINATOR, world.PASSWORD)
    student_id = drill.scalar("SELECT id FROM user_account WHERE email = :e", e=world.UPLOADER)
    victim = drill.instances[0]
    scenario.tried += 1
    answer = attempt(scenario, lambda: client.post(f"/studenten/{student_id}/dossier", instance=0))
    assert answer is not None and answer.status_code == 303, answer and answer.text[:300]
    victim.kill9()  # the build runs after the response, in this instance
    dossier_id = drill.scalar("SELECT max(id) FROM dossier")
    state = drill.rows("SELECT status, progress FROM dossier WHERE id = :id", id=dossier_id)[0]
    scenario.notes.append(f"killed at {state[0]} {state[1]}%")
    victim.start()
    _age(drill, "dossier", dossier_id)
    status = drill.wait_for("SELECT status FROM dossier WHERE id = :id", "klaar", timeout=30, id=dossier_id)
    if status != "klaar":
        scenario.lost += 1
    assert status == "klaar", f"dossier {dossier_id} stays {status}: the worker did not pick it up"
    page = client.get(f"/studenten/{student_id}/dossier/{dossier_id}")
    assert page.status_code == 200
    assert not drill.missing_blobs()
    client.close()


def test_an_export_stuck_in_bezig_is_built_again(drill: Drill) -> None:
    scenario = drill.figures.scenario("export blijft op bezig staan")
    client = drill.client()
    client.login(world.EXPORTER, world.PASSWORD)
    victim = drill.instances[1]
    scenario.tried += 1
    answer = attempt(scenario, lambda: client.post("/portfolio/export", instance=1))
    assert answer is not None and answer.status_code == 303, answer and answer.text[:300]
    victim.kill9()
    export_id = drill.scalar("SELECT max(id) FROM privacy_export")
    # Whatever the killed build got to: the row says bezig, as a builder that died halfway leaves it.
    drill.execute(
        "UPDATE privacy_export SET status = 'bezig', progress = 40, finished_at = NULL WHERE id = :id", id=export_id
    )
    _age(drill, "privacy_export", export_id)
    victim.start()
    status = drill.wait_for("SELECT status FROM privacy_export WHERE id = :id", "klaar", timeout=30, id=export_id)
    if status != "klaar":
        scenario.lost += 1
    assert status == "klaar", f"export {export_id} stays {status}: the worker did not pick it up"
    assert client.get(f"/privacy/exports/{export_id}/zip").status_code == 200
    client.close()


def _load(
    drill: Drill, scenario: Scenario, stop: threading.Event, titles: list[str], acked: list[str]
) -> list[threading.Thread]:
    """Readers on both instances, and a writer whose every acknowledged bewijsstuk must exist afterwards."""
    readers = []
    for email in (world.UPLOADER, world.COORDINATOR):
        reader = drill.client(timeout=15)
        reader.login(email, world.PASSWORD)
        readers.append(reader)
    writer = drill.client(timeout=15)
    writer.login(world.EXPORTER, world.PASSWORD)

    def read(client: Client) -> None:
        while not stop.is_set():
            scenario.tried += 1
            attempt(scenario, lambda: client.get("/portfolio" if client is readers[0] else "/cohorten"))
            time.sleep(0.02)

    def write() -> None:
        while not stop.is_set():
            title = f"Drill-schrijven {len(titles)}"
            titles.append(title)
            scenario.tried += 1
            answer = attempt(scenario, lambda: writer.post("/bewijs", data=world.draft_form(title)))
            if answer is not None and answer.status_code == 303:
                acked.append(title)
            time.sleep(0.05)

    threads = [threading.Thread(target=read, args=(c,)) for c in readers] + [threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    return threads


def _written(drill: Drill, scenario: Scenario, titles: list[str], acked: list[str]) -> None:
    counts = dict(drill.rows("SELECT title, count(*) FROM evidence_version WHERE title = ANY(:t) GROUP BY 1", t=titles))
    scenario.lost += sum(1 for t in acked if t not in counts)
    scenario.duplicated += sum(1 for n in counts.values() if n > 1)
    scenario.notes.append(f"{len(titles)} writes, {len(acked)} acknowledged, {len(counts)} stored")


def test_restart_postgresql_while_requests_run(drill: Drill) -> None:
    scenario = drill.figures.scenario("PostgreSQL herstart")
    stop, titles, acked = threading.Event(), list[str](), list[str]()
    threads = _load(drill, scenario, stop, titles, acked)
    pids = [i.process.pid for i in drill.instances if i.process]
    time.sleep(1.5)
    drill.cluster.restart(down_seconds=3)
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(30)
    # Without a restart of the instances: both serve again once the database is back.
    probe = drill.client()
    probe.login(world.UPLOADER, world.PASSWORD)
    for index in range(len(drill.instances)):
        services_up = False
        deadline = time.monotonic() + 15
        while not services_up and time.monotonic() < deadline:
            services_up = probe.get("/portfolio", instance=index).status_code == 200
        assert services_up, f"instance {index} does not recover"
    assert pids == [i.process.pid for i in drill.instances if i.process], "an instance was restarted"
    probe.close()
    _written(drill, scenario, titles, acked)
    assert scenario.ok, scenario


def _small_mp4() -> bytes:
    return b"".join(world.mp4_body(256 * 1024))


def test_s3_outage(drill: Drill) -> None:
    scenario = drill.figures.scenario("S3 20 s onbereikbaar")
    client = drill.client()
    client.login(world.UPLOADER, world.PASSWORD)
    known = {r[0]: r[1] for r in drill.rows("SELECT key, sha256 FROM blob WHERE removed_at IS NULL")}
    blob_id = drill.scalar(
        "SELECT id FROM blob WHERE student_id = (SELECT id FROM user_account WHERE email = :e) "
        "AND removed_at IS NULL LIMIT 1",
        e=world.UPLOADER,
    )
    outbox_before = drill.scalar("SELECT coalesce(max(id), 0) FROM outbox_message")
    drill.s3.gate.close()
    drill.mail.stop()  # the outside world is down: mail must wait in the outbox
    began, refused_clearly, accepted, asked = time.monotonic(), 0, 0, 0
    try:
        while time.monotonic() - began < OUTAGE_SECONDS - 2:
            scenario.tried += 1
            answer = attempt(
                scenario,
                lambda: client.post(
                    "/bewijs",
                    data=world.draft_form("Tijdens de storing"),
                    files={"files": ("kort.mp4", _small_mp4(), "video/mp4")},
                ),
            )
            if answer is not None and answer.status_code == 503 and STORE_DOWN.search(answer.text):
                refused_clearly += 1
            elif answer is not None and answer.status_code == 303:
                accepted += 1
            if blob_id:
                scenario.tried += 1
                attempt(scenario, lambda: client.get(f"/bestanden/{blob_id}"))
            if asked < 4:  # mail queued while delivery cannot happen
                scenario.tried += 1
                attempt(
                    scenario,
                    lambda asked=asked: client.post(
                        "/wachtwoord-vergeten", data={"email": world.SUPERVISOR_LOGINS[asked]}
                    ),
                )
                asked += 1
            time.sleep(1)
    finally:
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - began)))
        drill.s3.gate.open()
        drill.mail.start()
    scenario.notes.append(f"{refused_clearly} uploads refused with the Dutch 503, {accepted} accepted")
    # An upload refused during the outage left no version behind; one accepted would have to be complete.
    during = drill.scalar("SELECT count(*) FROM evidence_version WHERE title = 'Tijdens de storing'")
    scenario.lost += max(0, accepted - during)
    scenario.duplicated += max(0, during - accepted)
    scenario.tried += 1
    after = attempt(
        scenario,
        lambda: client.post(
            "/bewijs", data=world.draft_form("Na de storing"), files={"files": ("kort.mp4", _small_mp4(), "video/mp4")}
        ),
    )
    assert after is not None and after.status_code == 303, "no upload works after the outage"
    assert refused_clearly > 0, "no upload got 503 'opslag tijdelijk niet bereikbaar'"
    # Nothing saved before the outage is gone; what was queued goes out once, now.
    stored = drill.s3.keys()
    scenario.lost += sum(1 for key in known if not any(name.endswith(key) for name in stored))
    queued = [r[0] for r in drill.rows("SELECT id FROM outbox_message WHERE id > :n", n=outbox_before)]
    assert queued, "no mail was queued during the outage"
    drill.execute("UPDATE outbox_message SET next_attempt_at = now() WHERE sent_at IS NULL")  # skip the back-off wait
    waiting = drill.wait_for(
        "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL AND id > :n", 0, timeout=30, n=outbox_before
    )
    assert waiting == 0, f"{waiting} mails still in the outbox"
    arrivals = drill.mail.arrivals()
    scenario.lost += sum(1 for i in queued if not arrivals.get(i))
    answer = client.get(f"/bestanden/{blob_id}")
    assert answer.status_code == 200, "a file saved before the outage cannot be read after it"
    client.close()
    assert scenario.ok, scenario


def test_kill_the_worker_mid_delivery(drill: Drill) -> None:
    scenario = drill.figures.scenario("kill -9 worker tijdens verzenden")
    count = 40
    first = drill.scalar("SELECT coalesce(max(id), 0) FROM outbox_message")
    drill.mail.sink.delay = 0.1  # a slow mail server: the kill lands in the middle of a batch
    for n in range(count):
        drill.execute(
            "INSERT INTO outbox_message (to_address, subject, body, created_at, attempts, next_attempt_at) "
            "VALUES (:to, :subject, 'Een bericht van de drill.', now(), 0, now())",
            to=f"ontvanger{n}@drill.example",
            subject=f"Drill-bericht {n}",
        )
    ids = [r[0] for r in drill.rows("SELECT id FROM outbox_message WHERE id > :n", n=first)]
    scenario.tried += len(ids)
    deadline = time.monotonic() + 30
    while sum(1 for i in ids if drill.mail.arrivals().get(i)) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    drill.worker.kill9()
    at_kill = sum(1 for i in ids if drill.mail.arrivals().get(i))
    drill.mail.sink.delay = 0.0
    # The killed worker's claims run out after LEASE (15 min); the drill moves the clock instead of waiting.
    drill.execute("UPDATE outbox_message SET next_attempt_at = now() WHERE sent_at IS NULL")
    drill.worker.start()
    waiting = drill.wait_for(
        "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL AND id > :n", 0, timeout=60, n=first
    )
    arrivals = drill.mail.arrivals()
    scenario.lost += sum(1 for i in ids if not arrivals.get(i))
    scenario.duplicated += sum(1 for i in ids if len(set(arrivals.get(i, []))) > 1)
    scenario.raw_resends += sum(max(0, len(arrivals.get(i, [])) - 1) for i in ids)
    scenario.notes.append(f"{at_kill} of {len(ids)} arrived before the kill; {waiting} still waiting")
    assert waiting == 0 and scenario.ok, scenario


def test_figures(drill: Drill) -> None:
    """Every outbox message of the whole drill arrived, de-duplicated by Message-ID; then the totals."""
    scenario = drill.figures.scenario("alle mail van de drill")
    drill.execute("UPDATE outbox_message SET next_attempt_at = now() WHERE sent_at IS NULL")
    drill.wait_for("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL", 0, timeout=30)
    arrivals = drill.mail.arrivals()
    ids = [r[0] for r in drill.rows("SELECT id FROM outbox_message")]
    scenario.tried += len(ids)
    scenario.lost += sum(1 for i in ids if not arrivals.get(i))
    scenario.duplicated += sum(1 for i in ids if len(set(arrivals.get(i, []))) > 1)
    scenario.raw_resends += sum(max(0, len(arrivals.get(i, [])) - 1) for i in ids)
    totals = drill.figures.totals()
    assert (totals["lost"], totals["duplicated"], totals["other_5xx"], totals["leaked"]) == (0, 0, 0, 0), (
        drill.figures.table()
    )
