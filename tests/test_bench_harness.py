"""The benchmark harness's own logic (no server, no timing): percentiles, targets, the results file's shape,
--only, the load generator's HTTP reading, the Markdown report, and that every SQL floor runs on the current
schema. The benchmarks themselves run with `make bench`, never here."""

import asyncio
import json
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app import benchdata
from app.accounts.models import User
from app.accounts.service import start_session
from app.audit.verify import verify_chain
from app.cohorts.models import Enrolment
from app.evidence.models import Slot
from app.signoff.models import SignOff
from bench import floors, load, pages
from bench import run as bench_run
from bench.floors import FloorContext
from bench.harness import Check, Result, percentile


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([5.0], 50) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5  # unsorted input
    assert percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
    assert percentile([1.0, 2.0, 3.0], 0) == 1.0 and percentile([1.0, 2.0, 3.0], 100) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_targets_are_checked_and_described() -> None:
    page = Result(name="student_portfolio", p50_ms=9.9, queries=8).check(*pages.STUDENT_PAGE)
    assert page.target == "p50_ms <= 10 and queries <= 8" and page.met is True
    slow = Result(name="student_portfolio", p50_ms=10.1, queries=3).check(*pages.STUDENT_PAGE)
    assert slow.met is False
    chatty = Result(name="student_portfolio", p50_ms=2.0, queries=9).check(*pages.STUDENT_PAGE)
    assert chatty.met is False
    # A value that was not measured does not pass.
    assert Result(name="overview_200", p50_ms=20.0).check(*pages.OVERVIEW_SMALL).met is False
    # >= targets, and values kept in `extra` (p99_ms of a load).
    load_ok = Result(name="load_student", rps=500.0, extra={"p99_ms": 100.0}).check(*pages.LOAD_STUDENT)
    assert load_ok.met is True and load_ok.target == "rps >= 500 and p99_ms <= 100"
    assert Result(name="load_student", rps=499.9, extra={"p99_ms": 1.0}).check(*pages.LOAD_STUDENT).met is False
    assert str(Check("ratio", ">=", 0.5)) == "ratio >= 0.5"
    assert Result(name="x").check().target is None  # no checks: no target


def test_result_json_has_target_and_met_and_leaves_out_what_does_not_apply() -> None:
    entry = Result(name="overview_2000", p50_ms=120.0, p95_ms=150.0, queries=8, floor_ms=60.0, ratio=2.0)
    entry.extra["requests"] = 50
    entry.extra["nothing"] = None
    data = entry.check(Check("p50_ms", "<=", 150)).as_json()
    assert data == {
        "name": "overview_2000",
        "p50_ms": 120.0,
        "p95_ms": 150.0,
        "queries": 8,
        "floor_ms": 60.0,
        "ratio": 2.0,
        "requests": 50,
        "target": "p50_ms <= 150",
        "met": True,
    }
    assert Result(name="bench_data_4000").as_json() == {"name": "bench_data_4000", "target": None, "met": None}


class FakeServer:
    """Stands in for BenchServer: no database, no uvicorn."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.dialect = "sqlite"

    def __enter__(self) -> "FakeServer":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pass

    def log_tail(self) -> str:
        return ""


def fake_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, outcome: list[Result], argv: list[str]
) -> tuple[int, Any]:
    fake = bench_run.Measurement(
        name="pages", cases=("student_portfolio",), run=lambda s, a: outcome, server=lambda a: {}
    )
    monkeypatch.setattr(bench_run, "MEASUREMENTS", [fake])
    monkeypatch.setattr(bench_run, "BenchServer", FakeServer)
    output = tmp_path / "results.json"
    status = bench_run.main([*argv, "--output", str(output)])
    return status, json.loads(output.read_text())


def test_results_file_of_a_fake_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    passed = Result(name="student_portfolio", p50_ms=5.0, p95_ms=6.0, queries=6, floor_ms=1.0, ratio=5.0)
    passed.check(*pages.STUDENT_PAGE)
    status, report = fake_run(monkeypatch, tmp_path, [passed], ["--quick"])
    assert status == 0
    assert {"nproc", "ram_mb", "python", "sqlite"} <= set(report["machine"])
    assert report["run"]["quick"] is True
    [entry] = report["results"]
    assert entry["name"] == "student_portfolio" and entry["met"] is True
    assert {"p50_ms", "p95_ms", "queries", "floor_ms", "ratio", "target"} <= set(entry)

    failed = Result(name="student_portfolio", p50_ms=50.0, queries=6).check(*pages.STUDENT_PAGE)
    status, report = fake_run(monkeypatch, tmp_path, [failed], [])
    assert status == 1  # a missed target fails the run
    assert report["results"][0]["met"] is False


def test_a_timeout_keeps_what_was_measured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def interrupted(server: Any, args: Any) -> list[Result]:
        exc = bench_run.Timeout("the benchmark run took longer than --timeout")
        exc.partial_results = [Result(name="student_portfolio", p50_ms=5.0)]  # type: ignore[attr-defined]
        raise exc

    fake = bench_run.Measurement(name="pages", cases=(), run=interrupted, server=lambda a: {})
    monkeypatch.setattr(bench_run, "MEASUREMENTS", [fake])
    monkeypatch.setattr(bench_run, "BenchServer", FakeServer)
    output = tmp_path / "results.json"
    assert bench_run.main(["--output", str(output)]) == 1
    names = [(r["name"], r["met"]) for r in json.loads(output.read_text())["results"]]
    assert names == [("student_portfolio", None), ("pages", False)]


def test_only_selects_page_cases() -> None:
    args = bench_run.parse_args(["--only", "signoff_post", "--only", "load"])
    assert bench_run._selected_cases(args) == {"signoff_post", "load_student", "load_pending"}
    assert bench_run._selected_cases(bench_run.parse_args([])) is None
    assert bench_run._selected_cases(bench_run.parse_args(["--only", "pages"])) is None
    upload_only = bench_run.parse_args(["--only", "upload_1gib"])
    assert [m.name for m in bench_run.MEASUREMENTS if bench_run._selected(m, upload_only)] == ["upload"]
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--only", "nonsense"])


def test_no_postgres_without_bench_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    pages_measurement = bench_run.MEASUREMENTS[0]
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    assert bench_run._databases(pages_measurement, bench_run.parse_args([])) == [None]
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
    monkeypatch.setenv("BENCH_DATABASE_URL", url)
    assert bench_run._databases(pages_measurement, bench_run.parse_args([])) == [None, url]
    assert bench_run._databases(pages_measurement, bench_run.parse_args(["--no-postgres"])) == [None]


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
    ],
)
def test_load_generator_reads_whole_responses(raw: bytes) -> None:
    async def read_two() -> tuple[int, int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw + b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n" + b"rest")
        reader.feed_eof()
        first = await load._read_response(reader)
        second = await load._read_response(reader)
        return first, second, await reader.read()

    assert asyncio.run(read_two()) == (200, 404, b"rest")


def test_markdown_report_of_a_results_file() -> None:
    from bench.report import markdown

    report = {
        "machine": {"nproc": 2, "cpu_model": "X", "ram_mb": 1024, "python": "3.11.7", "sqlite": "3.40.1"},
        "results": [
            Result(name="student_portfolio", p50_ms=5.0, queries=6).check(*pages.STUDENT_PAGE).as_json(),
            Result(name="load_student", rps=120.0, extra={"p99_ms": 300.0, "workers": 2, "clients": 50})
            .check(*pages.LOAD_STUDENT)
            .as_json(),
            Result(name="bench_data_4000").as_json(),
        ],
    }
    text = markdown(report)
    assert "2 CPUs (X), 1024 MB RAM, Python 3.11.7, SQLite 3.40.1" in text
    assert "| `student_portfolio` | 5.00 | 6 | – | – | PASS (p50_ms <= 10 and queries <= 8) |" in text
    assert "| `load_student` | – | – | 120 | 300 | **FAIL** (rps >= 500 and p99_ms <= 100) |" in text
    assert "| `bench_data_4000` | – | – | – | – |  |" in text
    assert "2 uvicorn worker(s)" in text


def test_the_floors_run_on_bench_data(app: FastAPI, db: Session) -> None:
    """Every floor's SQL runs on the current schema and reads what the page reads; the sign-off floor does the
    whole write: the slot moves on, and its audit event continues the hash chain."""
    benchdata.generate(db, students=20, cohorts=2, seed=3, registry=app.state.frameworks)
    db.commit()
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    settings = app.state.settings

    def session_of(email: str) -> str:
        user = db.exec(select(User).where(User.email == email)).one()
        token = start_session(db, user=user, settings=settings, previous_token=None)
        db.commit()
        return floors.digest(token)

    cohort_id, student_id = db.exec(
        select(Enrolment.cohort_id, Enrolment.student_id).order_by(col(Enrolment.id))
    ).first()
    student = db.get(User, student_id)
    assert student is not None
    open_submissions = db.exec(
        select(Slot.submission_id, Enrolment.supervisor_id)
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .where(Slot.status == "ter_aftekening")
        .order_by(col(Slot.submission_id))
    ).all()
    submission_id, supervisor_id = open_submissions[0]
    supervisor = db.get(User, supervisor_id)
    assert supervisor is not None
    coordinator = session_of(benchdata.COORDINATOR_EMAIL)
    contexts = {
        floors.student_portfolio: FloorContext(token_hash=session_of(student.email)),
        floors.readiness: FloorContext(token_hash=coordinator, student_id=student_id),
        floors.pending_list: FloorContext(token_hash=session_of(supervisor.email)),
        floors.overview: FloorContext(token_hash=coordinator, cohort_id=cohort_id),
        floors.overview_groups: FloorContext(token_hash=coordinator, cohort_id=cohort_id),
        floors.export: FloorContext(token_hash=coordinator, cohort_id=cohort_id),
        floors.progress_api: FloorContext(token_hash=coordinator, cohort_id=cohort_id),
    }
    engine = app.state.engine
    with engine.connect() as conn:
        for floor, ctx in contexts.items():
            ctx.framework = framework
            floor(conn, ctx)
        conn.rollback()
        with pytest.raises(RuntimeError):  # without a session the floor refuses, as the page would
            floors.overview(conn, FloorContext(token_hash="nope", cohort_id=cohort_id, framework=framework))
        conn.rollback()

    ctx = FloorContext(token_hash=session_of(supervisor.email), framework=framework, submissions=[submission_id])
    with engine.connect() as conn:
        floors.signoff_post(conn, ctx)
    db.expire_all()
    assert ctx.submissions == []
    slot = db.exec(select(Slot).where(Slot.submission_id == submission_id)).one()
    assert slot.status == "afgetekend"
    assert db.exec(select(SignOff).where(SignOff.submission_id == submission_id)).one().decided_by_id == supervisor_id
    assert verify_chain(db).ok
