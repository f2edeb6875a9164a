"""overview: the coordinator's cohort progress — heatmap page, CSV export, paged JSON API — at 200 and 2,000 students.

The database is filled by `app.benchdata.generate` instead of the demo: one cohort of 2,000 students, one of 200
and 18 of 100 (4,000 students, 224,000 slots at realistic stages with the evidence, submissions, sign-offs and
scores behind them). Per case: WARMUP requests, then `requests` timed ones (default 50), one after another on a
keep-alive connection, logged in over HTTP as the coordinator. The time is the client's, request sent → whole
body read, on loopback: the server's time plus well under a millisecond.

SQL statements per request are counted in-process: the same app (`create_app`) on the same database file,
through a TestClient, with a `before_cursor_execute` listener on its engine (the server subprocess is not
instrumented). The count includes the request's session lookup. Target: the 2,000-student case needs no more
statements than the 200-student one (the query count must not grow with the cohort).
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench.harness import BenchServer, Result, percentile, step

if TYPE_CHECKING:
    from sqlmodel import Session

FULL_BIG = 2000
QUICK_BIG = 300
FILLER_COHORTS = 18  # cohorts of big/20 students around the measured ones
REQUESTS = 50
WARMUP = 3
SEED = 1
GENERATE_TARGET_S_PER_1000 = 60  # `portfolio bench-data`: 2,000 students in under 2 minutes
CASES = (
    ("overview", "/cohorten/{id}/overzicht"),
    ("overview_csv", "/cohorten/{id}/overzicht.csv"),
    ("progress_api", "/api/v1/cohorts/{id}/progress?size=100"),
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
        step(f"bench-data: {sum(counts.values())} rows in {seconds:.1f} s")
        return {"counts": counts, "seconds": seconds, "students": sum(sizes)}

    return seed


def cohort_ids(db_path: Path) -> dict[int, int]:
    """Cohort id by number of students (the measured cohorts have sizes of their own)."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute("SELECT cohort_id, COUNT(*) FROM enrolment GROUP BY cohort_id ORDER BY cohort_id")
        sizes = rows.fetchall()
    ids: dict[int, int] = {}
    for cohort_id, students in sizes:
        ids.setdefault(int(students), int(cohort_id))
    return ids


def check(kind: str, response: httpx.Response, students: int) -> None:
    """The response is the whole cohort (CSV), its total (API) or its first page (heatmap), not an error page."""
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: HTTP {response.status_code}: {response.text[:300]}")
    if kind == "overview_csv":
        lines = response.content.decode("utf-8-sig").count("\n")
        if lines != students + 1:
            raise RuntimeError(f"CSV has {lines} lines, expected {students + 1}")
    elif kind == "progress_api":
        data = response.json()
        if data["total"] != students or len(data["items"]) != min(students, 100):
            raise RuntimeError(f"API: total {data['total']}, {len(data['items'])} items (expected {students})")
    elif response.text.count('class="cell status-') < min(students, 100):
        raise RuntimeError("the heatmap has fewer cells than students on the page")


def time_requests(
    client: httpx.Client, url: str, *, requests: int, warmup: int, checker: Callable[[httpx.Response], None]
) -> tuple[list[float], int]:
    """Milliseconds per request (whole body read) after `warmup` untimed ones; also the body size."""
    for _ in range(warmup):
        checker(client.get(url))
    times = []
    size = 0
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        checker(response)
        size = len(response.content)
    return times, size


def count_queries(server: BenchServer, urls: list[str]) -> dict[str, int]:
    """SQL statements for one request to each URL (after one warm-up), in-process on the server's database."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.benchdata import COORDINATOR_EMAIL, PASSWORD
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
    app = create_app(settings)
    statements: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    counts: dict[str, int] = {}
    try:
        with TestClient(app, follow_redirects=False) as client:
            server.login(client, COORDINATOR_EMAIL, PASSWORD)
            for url in urls:
                client.get(url).raise_for_status()  # templates, framework: one-off costs
                statements.clear()
                event.listen(app.state.engine, "before_cursor_execute", listener)
                try:
                    client.get(url).raise_for_status()
                finally:
                    event.remove(app.state.engine, "before_cursor_execute", listener)
                counts[url] = len(statements)
    finally:
        app.state.engine.dispose()
    return counts


def cohort_overview(server: BenchServer, *, big: int, requests: int = REQUESTS, warmup: int = WARMUP) -> list[Result]:
    from app.benchdata import COORDINATOR_EMAIL, PASSWORD

    seeded = server.seeded or {}
    sizes = cohort_sizes(big)
    ids = cohort_ids(server.db_path)
    measured = [(sizes[1], ids[sizes[1]]), (sizes[0], ids[sizes[0]])]
    results: list[Result] = []
    students = int(seeded.get("students", sum(sizes)))
    seconds = float(seeded.get("seconds", 0.0))
    limit = GENERATE_TARGET_S_PER_1000 * students / 1000
    results.append(
        Result(
            name=f"bench_data_{students}",
            target=f"< {GENERATE_TARGET_S_PER_1000} s per 1,000 students",
            ok=seconds < limit,
            extra={
                "seconds": round(seconds, 1),
                "students": students,
                "cohorts": len(sizes),
                "rows": sum(seeded.get("counts", {}).values()),
                "slots": seeded.get("counts", {}).get("slot"),
            },
        )
    )
    step("logging in as the coordinator")
    with server.client(timeout=120) as client:
        server.login(client, COORDINATOR_EMAIL, PASSWORD)
        timings: dict[tuple[str, int], tuple[list[float], int]] = {}
        for size, cohort_id in measured:
            for kind, path in CASES:
                url = path.format(id=cohort_id)
                step(f"{kind} at {size} students: {warmup} warm-up + {requests} requests to {url}")

                def checker(response: httpx.Response, kind: str = kind, size: int = size) -> None:
                    check(kind, response, size)

                timings[(kind, size)] = time_requests(client, url, requests=requests, warmup=warmup, checker=checker)
                step(f"   p50 {percentile(timings[(kind, size)][0], 50):.1f} ms")
    step("counting SQL statements per request (in-process, same database)")
    urls = {(kind, size): path.format(id=cohort_id) for size, cohort_id in measured for kind, path in CASES}
    queries = count_queries(server, list(urls.values()))
    small = sizes[1]
    for size, _ in measured:
        for kind, _ in CASES:
            times, body = timings[(kind, size)]
            count = queries[urls[(kind, size)]]
            result = Result(
                name=f"{kind}_{size}",
                p50_ms=round(percentile(times, 50), 1),
                p95_ms=round(percentile(times, 95), 1),
                queries=count,
                extra={"max_ms": round(max(times), 1), "requests": len(times), "body_kb": round(body / 1024, 1)},
            )
            if size != small:
                baseline = queries[urls[(kind, small)]]
                result.target = f"queries <= {kind}_{small} ({baseline})"
                result.ok = count <= baseline
            results.append(result)
    results[-1].notes.append(
        "times: client side over loopback HTTP, body read; queries: counted in-process (TestClient, same DB)"
    )
    return results
