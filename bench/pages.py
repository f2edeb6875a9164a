"""pages: the app's busiest pages on `bench-data`, each against its SQL floor, plus a concurrent load.

The database is filled by `app.benchdata.generate` with 20 cohorts: one of 2,000 students, one of 200 and 18 of
100 (4,000 students, 224,000 slots at realistic stages, about 3 bewijsstukken per slot). Over loopback HTTP, each
signed in as whom the page is for:

- the student's portfolio (`GET /portfolio`), the readiness page (`GET /studenten/{id}/gereedheid`, as the
  coordinator), the praktijkbegeleider's open requests (`GET /aftekenen`) and a sign-off (`POST
  /aftekenen/{id}`, each on another open request);
- the cohort overview at 200 and 2,000 students (the heatmap and the group level), its CSV and XLSX exports,
  and the progress API (`GET /api/v1/cohorts/{id}/progress?size=100`).

Per case: WARMUP untimed requests, then `requests` timed ones (default 50) one after another on a keep-alive
connection; the floor (bench/floors.py) is timed right after with as many repetitions. SQL statements per
request are counted in-process (the same app on the same database through a TestClient). Then the server is
restarted with one worker per CPU and a separate process (bench/load.py) puts 50 concurrent clients, each
signed in as another user, on the student page and on the open-requests list for `load_seconds`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import text

from bench import floors
from bench.floors import FloorContext
from bench.harness import ROOT, BenchServer, Check, Result, percentile, step

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine
    from sqlmodel import Session

    from app.framework.schema import Framework

FULL_BIG = 2000
QUICK_BIG = 300
FILLER_COHORTS = 18  # cohorts of big/20 students around the measured ones
REQUESTS = 50
QUICK_REQUESTS = 20
WARMUP = 3
SEED = 1
GENERATE_TARGET_S_PER_1000 = 60  # `portfolio bench-data`: 2,000 students in under 2 minutes
LOAD_CLIENTS = 50
LOAD_SECONDS = 20
QUICK_LOAD_SECONDS = 5

# The targets of issue #7, checked on SQLite (2,000-student cohort; --quick checks the same bounds).
STUDENT_PAGE = (Check("p50_ms", "<=", 10), Check("queries", "<=", 8))
OVERVIEW_SMALL = (Check("p50_ms", "<=", 50), Check("ratio", "<=", 2))
OVERVIEW_GROUPS_BIG = (Check("p50_ms", "<=", 150),)
SIGNOFF = (Check("p50_ms", "<=", 15),)
LOAD_STUDENT = (Check("rps", ">=", 500), Check("p99_ms", "<=", 100))

# --only names of this group's cases (each name selects the entries at both cohort sizes).
CASE_NAMES = (
    "student_portfolio",
    "readiness",
    "pending_list",
    "signoff_post",
    "overview",
    "overview_group",
    "export_csv",
    "export_xlsx",
    "progress_api",
    "load_student",
    "load_pending",
)


def big_cohort(args: argparse.Namespace) -> int:
    if args.overview_students:
        return int(args.overview_students)
    return QUICK_BIG if args.quick else FULL_BIG


def cohort_sizes(big: int) -> list[int]:
    return [big, max(1, big // 10)] + [max(1, big // 20)] * FILLER_COHORTS


def seeder(*, big: int) -> Callable[[Session], dict[str, Any]]:
    """`BenchServer(seed=...)`: bench-data into the fresh database, timed (commit included)."""

    def seed(session: Session) -> dict[str, Any]:
        from app.benchdata import generate
        from app.config import get_settings
        from app.framework.registry import load_frameworks

        sizes = cohort_sizes(big)
        step(f"bench-data: {sum(sizes)} students in {len(sizes)} cohorts (measured: {sizes[0]} and {sizes[1]})")
        started = time.perf_counter()
        registry = load_frameworks(get_settings().framework_dir)
        counts = generate(session, cohort_sizes=sizes, seed=SEED, registry=registry)
        session.commit()
        seconds = time.perf_counter() - started
        if session.get_bind().dialect.name == "postgresql":
            # Planner statistics, as autovacuum would gather them on a live database (not part of the timing).
            session.execute(text("ANALYZE"))
            session.commit()
        else:
            # The bulk load went through the write-ahead log: fold it into the database file first, as SQLite's
            # automatic checkpoints would have long done on a live database.
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        step(f"bench-data: {sum(counts.values())} rows in {seconds:.1f} s")
        return {"counts": counts, "seconds": seconds, "students": sum(sizes)}

    return seed


# --- the dataset --------------------------------------------------------------------------------------------


@dataclass
class Supervisor:
    id: int
    email: str
    open: list[int]  # open submission ids, oldest id first


@dataclass
class Dataset:
    cohorts: dict[int, int]  # cohort id by number of students (the measured cohorts have sizes of their own)
    students: list[tuple[int, str]]  # (id, email): LOAD_CLIENTS students, the small cohort's first, lowest id first
    supervisors: list[Supervisor]  # most open requests first
    framework: Framework

    def take_supervisor(self, need: int) -> Supervisor:
        """The supervisor with the most open requests, removed from the pool (each is used for one thing)."""
        if not self.supervisors:
            raise RuntimeError("no praktijkbegeleider with open requests left")
        chosen = self.supervisors.pop(0)
        if len(chosen.open) < need:
            step(f"   note: {chosen.email} has {len(chosen.open)} open requests, {need} wanted")
        return chosen


def discover(engine: Engine, *, small: int) -> Dataset:
    from app.benchdata import FRAMEWORK_KEY
    from app.config import get_settings
    from app.framework.registry import load_frameworks

    with engine.connect() as conn:
        sizes = conn.execute(
            text("SELECT cohort_id, COUNT(*) FROM enrolment GROUP BY cohort_id ORDER BY cohort_id")
        ).all()
        cohorts: dict[int, int] = {}
        for cohort_id, students in sizes:
            cohorts.setdefault(int(students), int(cohort_id))
        students = [
            (int(i), str(e))
            for i, e in conn.execute(
                text(
                    "SELECT u.id, u.email FROM enrolment e JOIN user_account u ON u.id = e.student_id"
                    " ORDER BY CASE WHEN e.cohort_id = :c THEN 0 ELSE 1 END, u.id LIMIT :n"
                ),
                {"c": cohorts[small], "n": LOAD_CLIENTS},
            ).all()
        ]
        rows = conn.execute(
            text(
                "SELECT e.supervisor_id, u.email, sub.id FROM submission sub JOIN slot sl ON sl.submission_id = sub.id"
                " JOIN enrolment e ON e.student_id = sub.student_id JOIN user_account u ON u.id = e.supervisor_id"
                " WHERE sl.status = 'ter_aftekening' ORDER BY e.supervisor_id, sub.id"
            )
        ).all()
    by_supervisor: dict[int, Supervisor] = {}
    for supervisor_id, email, submission_id in rows:
        by_supervisor.setdefault(int(supervisor_id), Supervisor(int(supervisor_id), str(email), [])).open.append(
            int(submission_id)
        )
    supervisors = sorted(by_supervisor.values(), key=lambda s: (-len(s.open), s.id))
    framework_id, _, version = FRAMEWORK_KEY.partition("@")
    framework = load_frameworks(get_settings().framework_dir).get(framework_id, version)
    return Dataset(cohorts=cohorts, students=students, supervisors=supervisors, framework=framework)


# --- timing -------------------------------------------------------------------------------------------------


def time_calls(call: Callable[[], None], *, repetitions: int, warmup: int) -> list[float]:
    """Milliseconds per call after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def time_floor(engine: Engine, floor: floors.Floor, ctx: FloorContext, *, repetitions: int, warmup: int) -> list[float]:
    """The floor on a pooled connection, like a request: check out, run, roll back (or commit), return."""

    def call() -> None:
        with engine.connect() as conn:
            floor(conn, ctx)
            conn.rollback()

    return time_calls(call, repetitions=repetitions, warmup=warmup)


def expect(kind: str, students: int = 0, marker: str | None = None) -> Callable[[httpx.Response], None]:
    """A response check: a 200 with the right content, not an error page or a login redirect."""

    def checker(response: httpx.Response) -> None:
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.url}: HTTP {response.status_code}: {response.text[:300]}")
        if kind == "csv":
            lines = response.content.decode("utf-8-sig").count("\n")
            if lines != students + 1:
                raise RuntimeError(f"CSV has {lines} lines, expected {students + 1}")
        elif kind == "xlsx":
            if not response.content.startswith(b"PK"):
                raise RuntimeError("the XLSX export is not a zip file")
        elif kind == "api":
            data = response.json()
            if data["total"] != students or len(data["items"]) != min(students, floors.PAGE_SIZE):
                raise RuntimeError(f"API: total {data['total']}, {len(data['items'])} items (expected {students})")
        elif kind == "heatmap":
            if response.text.count('class="cell status-') < min(students, floors.PAGE_SIZE):
                raise RuntimeError("the heatmap has fewer cells than students on the page")
        elif marker is not None and marker not in response.text:
            raise RuntimeError(f"{response.request.url}: {marker!r} not in the page")

    return checker


# --- SQL statements per request, in-process ------------------------------------------------------------------


class InProcess:
    """The same app (`create_app`) on the server's database through a TestClient, with statement counting."""

    def __init__(self, server: BenchServer) -> None:
        from app.config import Settings
        from app.main import create_app

        settings = Settings(
            database_url=server.database_url,
            secret_key="bench",
            storage_backend="local",
            storage_dir=server.storage_dir,
            base_url="http://testserver",
            cookie_secure=False,
        )
        self.server = server
        self.app = create_app(settings)
        self.statements: list[str] = []

    def _listener(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @contextlib.contextmanager
    def client(self, email: str, password: str) -> Iterator[tuple[TestClient, str]]:
        from fastapi.testclient import TestClient

        with TestClient(self.app, follow_redirects=False) as client:
            token = self.server.login(client, email, password)
            yield client, token

    def count(self, call: Callable[[], httpx.Response]) -> int:
        from sqlalchemy import event

        self.statements.clear()
        event.listen(self.app.state.engine, "before_cursor_execute", self._listener)
        try:
            response = call()
        finally:
            event.remove(self.app.state.engine, "before_cursor_execute", self._listener)
        if response.status_code >= 400:
            raise RuntimeError(f"in-process {response.request.url}: HTTP {response.status_code}")
        return len(self.statements)

    def close(self) -> None:
        self.app.state.engine.dispose()


# --- the cases ----------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # the results.json entry
    select: str  # its --only name
    who: str  # "student", "coordinator" or "supervisor"
    url: str
    checker: Callable[[httpx.Response], None]
    floor: floors.Floor
    ctx: FloorContext
    checks: tuple[Check, ...] = ()
    notes: list[str] = field(default_factory=list)


def page_cases(data: Dataset, *, small: int, big: int, pending: Supervisor) -> list[Case]:
    student_id = data.students[0][0]
    fw = data.framework
    first_code = fw.eindtermen[0].code

    def ctx(**kwargs: Any) -> FloorContext:
        return FloorContext(framework=fw, **kwargs)

    cases = [
        Case(
            "student_portfolio", "student_portfolio", "student", "/portfolio",
            expect("page", marker=first_code), floors.student_portfolio, ctx(), STUDENT_PAGE,
        ),
        Case(
            "readiness", "readiness", "coordinator", f"/studenten/{student_id}/gereedheid",
            expect("page", marker=first_code), floors.readiness, ctx(student_id=student_id), STUDENT_PAGE,
        ),
        Case(
            "pending_list", "pending_list", "supervisor", "/aftekenen",
            expect("page", marker=f"/aftekenen/{pending.open[0]}"), floors.pending_list,
            ctx(supervisor_id=pending.id), (),
        ),
    ]  # fmt: skip
    for size in (small, big):
        cohort = data.cohorts[size]
        heatmap = OVERVIEW_SMALL if size == small else ()
        groups = OVERVIEW_GROUPS_BIG if size == big else ()
        cases += [
            Case(
                f"overview_{size}", "overview", "coordinator", f"/cohorten/{cohort}/overzicht",
                expect("heatmap", size), floors.overview, ctx(cohort_id=cohort), heatmap,
            ),
            Case(
                f"overview_group_{size}", "overview_group", "coordinator",
                f"/cohorten/{cohort}/overzicht?niveau=groep",
                expect("page"), floors.overview_groups, ctx(cohort_id=cohort), groups,
            ),
            Case(
                f"export_csv_{size}", "export_csv", "coordinator", f"/cohorten/{cohort}/overzicht.csv",
                expect("csv", size), floors.export, ctx(cohort_id=cohort),
            ),
            Case(
                f"export_xlsx_{size}", "export_xlsx", "coordinator", f"/cohorten/{cohort}/overzicht.xlsx",
                expect("xlsx", size), floors.export, ctx(cohort_id=cohort),
            ),
            Case(
                f"progress_api_{size}", "progress_api", "coordinator",
                f"/api/v1/cohorts/{cohort}/progress?size={floors.PAGE_SIZE}",
                expect("api", size), floors.progress_api, ctx(cohort_id=cohort),
            ),
        ]  # fmt: skip
    return cases


def _result(name: str, times: list[float], floor_times: list[float] | None, **extra: Any) -> Result:
    p50 = percentile(times, 50)
    result = Result(
        name=name,
        p50_ms=round(p50, 2),
        p95_ms=round(percentile(times, 95), 2),
        extra={"max_ms": round(max(times), 1), "requests": len(times), **extra},
    )
    if floor_times:
        floor_p50 = percentile(floor_times, 50)
        result.floor_ms = round(floor_p50, 2)
        result.ratio = round(p50 / floor_p50, 2) if floor_p50 > 0 else None
    return result


def _login(server: BenchServer, email: str, password: str) -> tuple[httpx.Client, str]:
    client = server.client(timeout=120)
    token = server.login(client, email, password)
    return client, token


def _session_hash(client: httpx.Client | TestClient) -> str:
    value = client.cookies.get("pf_session")
    if not value:
        raise RuntimeError("no session cookie after login")
    return floors.digest(value)


def run_pages(
    server: BenchServer,
    *,
    big: int,
    requests: int,
    selected: set[str] | None,
    load_seconds: float,
    load_workers: int,
    check_targets: bool = True,
    suffix: str = "",
) -> list[Result]:
    """Every case of this group that `selected` names (None: all), on the seeded server."""
    from app.benchdata import COORDINATOR_EMAIL, PASSWORD

    def wanted(name: str) -> bool:
        return selected is None or name in selected

    results: list[Result] = []
    seeded = server.seeded or {}
    sizes = cohort_sizes(big)
    small = sizes[1]
    students = int(seeded.get("students", sum(sizes)))
    seconds = float(seeded.get("seconds", 0.0))
    counts = seeded.get("counts", {})
    generation = Result(
        name=f"bench_data_{students}",
        extra={
            "seconds": round(seconds, 1),
            "students": students,
            "cohorts": len(sizes),
            "rows": sum(counts.values()),
            "slots": counts.get("slot"),
            "evidence_links": counts.get("evidence_link"),
        },
    )
    if check_targets:
        generation.check(Check("seconds", "<=", GENERATE_TARGET_S_PER_1000 * students / 1000))
    results.append(generation)

    engine = server.engine()
    in_process = InProcess(server)
    clients: dict[str, tuple[httpx.Client, str]] = {}
    try:
        data = discover(engine, small=small)
        pending = data.take_supervisor(1)
        accounts = {
            "student": (data.students[0][1], PASSWORD),
            "coordinator": (COORDINATOR_EMAIL, PASSWORD),
            "supervisor": (pending.email, PASSWORD),
        }
        cases = [c for c in page_cases(data, small=small, big=big, pending=pending) if wanted(c.select)]
        for who in sorted({c.who for c in cases}):
            step(f"logging in as the {who} ({accounts[who][0]})")
            clients[who] = _login(server, *accounts[who])
        for case in cases:
            client, _ = clients[case.who]
            results.append(
                _guarded(
                    server,
                    case.name + suffix,
                    lambda case=case, client=client: _measure(  # type: ignore[misc]
                        case, client, engine, in_process, accounts[case.who], requests, check_targets, suffix
                    ),
                )
            )
        _queries_do_not_grow(results, cases, small=small, big=big, suffix=suffix, check_targets=check_targets)
        if wanted("signoff_post"):
            results.append(
                _guarded(
                    server,
                    "signoff_post" + suffix,
                    lambda: _signoff(server, engine, in_process, data, requests, check_targets, suffix),
                )
            )
        if wanted("load_student") or wanted("load_pending"):
            for client, _ in clients.values():
                client.close()
            clients.clear()
            results += _load(server, data, pending, load_seconds, load_workers, wanted, check_targets, suffix)
    except BaseException as exc:  # a --timeout or Ctrl-C: what was measured so far still goes into the results
        exc.partial_results = results  # type: ignore[attr-defined]
        raise
    finally:
        for client, _ in clients.values():
            client.close()
        in_process.close()
        engine.dispose()
    if len(results) > 1:
        results[-1].notes.append(
            "times: client side over loopback HTTP, body read; floor: the page's data by hand-written SQL on the "
            "same database (bench/floors.py); queries: counted in-process (TestClient, same database)"
        )
    return results


def _guarded(server: BenchServer, name: str, measure: Callable[[], Result]) -> Result:
    """One case: its result, or a failed entry with the error (the other cases still run)."""
    try:
        return measure()
    except Exception as exc:
        step(f"   FAILED: {type(exc).__name__}: {exc}")
        tail = server.log_tail(lines=15)
        if tail:
            print(f"-- server log (tail):\n{tail}", file=sys.stderr, flush=True)
        return Result(name=name, met=False, notes=[f"error: {type(exc).__name__}: {exc}"])


def _measure(
    case: Case,
    client: httpx.Client,
    engine: Engine,
    in_process: InProcess,
    account: tuple[str, str],
    requests: int,
    check_targets: bool,
    suffix: str,
) -> Result:
    """A GET case: timed over HTTP, then its floor, then its statements counted in-process."""
    case.ctx.token_hash = _session_hash(client)
    step(f"{case.name}: {WARMUP} warm-up + {requests} requests to {case.url}")
    sizes_seen: list[int] = []

    def get() -> None:
        response = client.get(case.url)
        case.checker(response)
        sizes_seen.append(len(response.content))

    times = time_calls(get, repetitions=requests, warmup=WARMUP)
    floor_times = time_floor(engine, case.floor, case.ctx, repetitions=requests, warmup=WARMUP)
    result = _result(case.name + suffix, times, floor_times, body_kb=round(sizes_seen[-1] / 1024, 1))
    with in_process.client(*account) as (tc, _):
        tc.get(case.url)  # templates, framework: one-off costs
        result.queries = in_process.count(lambda: tc.get(case.url))
    if check_targets:
        result.check(*case.checks)
    step(f"   p50 {result.p50_ms} ms, floor {result.floor_ms} ms, {result.queries} queries")
    return result


def _queries_do_not_grow(
    results: list[Result], cases: list[Case], *, small: int, big: int, suffix: str, check_targets: bool
) -> None:
    """A cohort page at 2,000 students needs no more statements than at 200 (an extra target)."""
    if not check_targets:
        return
    by_name = {r.name: r for r in results}
    for case in cases:
        if not case.name.endswith(f"_{big}"):
            continue
        mine = by_name.get(case.name + suffix)
        theirs = by_name.get(case.name.removesuffix(f"_{big}") + f"_{small}" + suffix)
        if mine is None or theirs is None or theirs.queries is None:
            continue
        mine.check(*case.checks, Check("queries", "<=", theirs.queries))


def _signoff(
    server: BenchServer,
    engine: Engine,
    in_process: InProcess,
    data: Dataset,
    requests: int,
    check_targets: bool,
    suffix: str,
) -> Result:
    """POST /aftekenen/{id} (besluit=afgetekend), each request on another open request of one praktijkbegeleider;
    the floor and the in-process count on those of two others."""
    from app.benchdata import PASSWORD

    need = WARMUP + requests
    over_http = data.take_supervisor(need)
    for_floor = data.take_supervisor(need)
    for_count = data.take_supervisor(2)
    client, token = _login(server, over_http.email, PASSWORD)
    todo = list(over_http.open)

    def post() -> None:
        submission_id = todo.pop(0)
        response = client.post(
            f"/aftekenen/{submission_id}", data={"besluit": "afgetekend", "toelichting": "", "csrf_token": token}
        )
        if response.status_code != 303:
            raise RuntimeError(f"POST /aftekenen/{submission_id}: HTTP {response.status_code}: {response.text[:300]}")

    available = min(len(over_http.open), len(for_floor.open)) - WARMUP
    repetitions = min(requests, available)
    step(f"signoff_post: {WARMUP} warm-up + {repetitions} sign-offs as {over_http.email}")
    try:
        times = time_calls(post, repetitions=repetitions, warmup=WARMUP)
        ctx = FloorContext(framework=data.framework, submissions=list(for_floor.open))
        floor_client, _ = _login(server, for_floor.email, PASSWORD)
        ctx.token_hash = _session_hash(floor_client)
        floor_client.close()
        floor_times = time_floor(engine, floors.signoff_post, ctx, repetitions=repetitions, warmup=WARMUP)
    finally:
        client.close()
    result = _result("signoff_post" + suffix, times, floor_times)
    with in_process.client(for_count.email, PASSWORD) as (tc, csrf):
        first, second = for_count.open[:2]
        form = {"besluit": "afgetekend", "toelichting": "", "csrf_token": csrf}
        tc.post(f"/aftekenen/{first}", data=form)
        result.queries = in_process.count(lambda: tc.post(f"/aftekenen/{second}", data=form))
    if repetitions < requests:
        result.notes.append(f"only {repetitions} open requests available for {requests} sign-offs")
    if check_targets:
        result.check(*SIGNOFF)
    step(f"   p50 {result.p50_ms} ms, floor {result.floor_ms} ms, {result.queries} queries")
    return result


# --- load ---------------------------------------------------------------------------------------------------


def _cookies(server: BenchServer, emails: list[str]) -> list[str]:
    """A session per account, as a Cookie header value. Started by the app's own `start_session` on the server's
    database instead of 50 HTTP logins: what is measured is the page, and argon2 takes ~0.1-0.5 s per login."""
    from sqlmodel import Session, col, select

    from app.accounts.models import User
    from app.accounts.service import start_session
    from app.config import Settings

    settings = Settings(database_url=server.database_url, secret_key="bench")
    engine = server.engine()
    try:
        with Session(engine) as session:
            users = {u.email: u for u in session.exec(select(User).where(col(User.email).in_(emails))).all()}
            tokens = [start_session(session, user=users[e], settings=settings, previous_token=None) for e in emails]
            session.commit()
    finally:
        engine.dispose()
    return [f"{settings.session_cookie}={token}" for token in tokens]


def run_load(server: BenchServer, *, path: str, cookies: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """bench/load.py in its own process against the server; its JSON answer."""
    cfg = {
        "host": server.base_url.split("//", 1)[1].rsplit(":", 1)[0],
        "port": server.port,
        "path": path,
        "cookies": cookies,
        "clients": clients,
        "duration": seconds,
        "warmup": 2,
        "client": os.environ.get("BENCH_LOAD_CLIENT", "raw"),
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(cfg),
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _load(
    server: BenchServer,
    data: Dataset,
    pending: Supervisor,
    seconds: float,
    workers: int,
    wanted: Callable[[str], bool],
    check_targets: bool,
    suffix: str,
) -> list[Result]:
    plan: list[tuple[str, str, list[str], tuple[Check, ...]]] = []
    if wanted("load_student"):
        plan.append(("load_student", "/portfolio", [e for _, e in data.students[:LOAD_CLIENTS]], LOAD_STUDENT))
    if wanted("load_pending"):
        # Praktijkbegeleiders with open requests: the one of pending_list and those that still have some.
        emails = [pending.email, *[s.email for s in data.supervisors if s.open][: LOAD_CLIENTS - 1]]
        plan.append(("load_pending", "/aftekenen", emails, ()))
    try:
        server.restart(workers=workers)
    except Exception as exc:
        return [Result(name=name + suffix, met=False, notes=[f"error: restart: {exc}"]) for name, *_ in plan]

    def measure(name: str, path: str, emails: list[str], checks: tuple[Check, ...]) -> Result:
        step(f"{name}: a session for each of {len(emails)} users")
        cookies = _cookies(server, emails)
        step(f"{name}: {LOAD_CLIENTS} clients for {seconds:.0f} s on {path} ({workers} uvicorn workers)")
        answer = run_load(server, path=path, cookies=cookies, clients=LOAD_CLIENTS, seconds=seconds)
        result = Result(
            name=name + suffix,
            p50_ms=answer["p50_ms"],
            p95_ms=answer["p95_ms"],
            rps=answer["rps"],
            extra={
                "p99_ms": answer["p99_ms"],
                "max_ms": answer["max_ms"],
                "requests": answer["requests"],
                "seconds": answer["seconds"],
                "clients": answer["clients"],
                "users": len(emails),
                "workers": workers,
                "load_client": answer["client"],
                "errors": sum(answer["errors"].values()),
            },
        )
        if answer["errors"]:
            result.notes.append(f"errors: {answer['errors']}")
        if check_targets:
            result.check(*checks, Check("errors", "<=", 0))
        step(f"   {result.rps} rps, p99 {answer['p99_ms']} ms, errors {answer['errors']}")
        return result

    return [
        _guarded(server, name + suffix, lambda item=item: measure(*item))  # type: ignore[misc]
        for item in plan
        for name in [item[0]]
    ]
