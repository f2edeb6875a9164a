"""Run the benchmarks: `python -m bench.run [--quick] [--only NAME]` (or `make bench`).

Every measurement gets its own real server (see bench/harness.py). The results are printed as a table and
written to bench/results.json; the exit status is 1 when a measurement failed or missed its target.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pages
from bench.harness import MIB, BenchServer, Result, Timeout, machine_info, print_table
from bench.upload import upload_1gib

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"
FULL_UPLOAD_MIB = 1024
QUICK_UPLOAD_MIB = 64


@dataclass(frozen=True)
class Measurement:
    name: str
    cases: tuple[str, ...]  # the --only names it answers to (besides its own name)
    run: Callable[[BenchServer, argparse.Namespace], Result | list[Result]]  # a list: one entry per case
    server: Callable[[argparse.Namespace], dict[str, Any]]  # BenchServer keyword arguments
    postgres: bool = False  # also on BENCH_DATABASE_URL when set


def _upload_mib(args: argparse.Namespace) -> int:
    if args.upload_mib:
        return int(args.upload_mib)
    return QUICK_UPLOAD_MIB if args.quick else FULL_UPLOAD_MIB


def _requests(args: argparse.Namespace) -> int:
    if args.requests:
        return int(args.requests)
    return pages.QUICK_REQUESTS if args.quick else pages.REQUESTS


def _load_seconds(args: argparse.Namespace) -> float:
    if args.load_seconds:
        return float(args.load_seconds)
    return pages.QUICK_LOAD_SECONDS if args.quick else pages.LOAD_SECONDS


def _selected_cases(args: argparse.Namespace) -> set[str] | None:
    """The page cases --only asks for (None: all of them)."""
    if not args.only or "pages" in args.only:
        return None
    chosen = {name for name in args.only if name in pages.CASE_NAMES}
    if "load" in args.only:
        chosen |= {"load_student", "load_pending"}
    return chosen


def _run_pages(server: BenchServer, args: argparse.Namespace) -> list[Result]:
    on_postgres = server.dialect == "postgresql"
    return pages.run_pages(
        server,
        big=pages.big_cohort(args),
        requests=_requests(args),
        selected=_selected_cases(args),
        load_seconds=_load_seconds(args),
        load_workers=args.workers,
        check_targets=not on_postgres,  # the targets are for SQLite; PostgreSQL is reported next to it
        suffix="_pg" if on_postgres else "",
    )


MEASUREMENTS = [
    Measurement(
        name="pages",
        cases=(*pages.CASE_NAMES, "load", "bench_data"),
        run=_run_pages,
        # bench-data instead of the demo: a 2,000- and a 200-student cohort among ~100-student ones
        server=lambda args: {"seed": pages.seeder(big=pages.big_cohort(args))},
        postgres=True,
    ),
    Measurement(
        name="upload",
        cases=("upload_1gib",),
        run=lambda server, args: upload_1gib(server, size_bytes=_upload_mib(args) * MIB, timeout=args.timeout),
        # the file plus a margin: the limit must not be what the benchmark measures
        server=lambda args: {"upload_max_bytes": _upload_mib(args) * MIB + 64 * MIB},
    ),
]
ONLY_CHOICES = sorted({m.name for m in MEASUREMENTS} | {c for m in MEASUREMENTS for c in m.cases})


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Timeout("the benchmark run took longer than --timeout")


def _on_term(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` blocks: server stopped, temp dir removed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: upload {QUICK_UPLOAD_MIB} MiB, not 1 GiB; cohorts of {pages.QUICK_BIG} and "
        f"{pages.QUICK_BIG // 10} students, not {pages.FULL_BIG} and {pages.FULL_BIG // 10}; "
        f"{pages.QUICK_REQUESTS} requests per case; load for {pages.QUICK_LOAD_SECONDS} s",
    )
    parser.add_argument("--upload-mib", type=int, default=0, help="size of the upload in MiB (overrides --quick)")
    parser.add_argument(
        "--overview-students", type=int, default=0, help="students in the big cohort; the small one has a tenth"
    )
    parser.add_argument(
        "--requests", type=int, default=0, help=f"timed requests per case (default {pages.REQUESTS}; after 3 warm-up)"
    )
    parser.add_argument("--load-seconds", type=float, default=0, help=f"load duration (default {pages.LOAD_SECONDS})")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes for the load cases (default: one per CPU); the other cases use 1",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=ONLY_CHOICES,
        metavar="NAME",
        help=f"run only these (repeatable): {', '.join(ONLY_CHOICES)}",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even if BENCH_DATABASE_URL is set")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results file (JSON)")
    parser.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes (default: system temp)")
    parser.add_argument("--timeout", type=float, default=2700, help="seconds for the whole run")
    return parser.parse_args(argv)


def _databases(measurement: Measurement, args: argparse.Namespace) -> list[str | None]:
    """SQLite (None), and PostgreSQL when BENCH_DATABASE_URL is set and the measurement runs there too."""
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    return [None, url] if measurement.postgres and url and not args.no_postgres else [None]


def _selected(measurement: Measurement, args: argparse.Namespace) -> bool:
    return not args.only or measurement.name in args.only or any(c in args.only for c in measurement.cases)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    previous = {
        sig: signal.signal(sig, handler) for sig, handler in ((signal.SIGALRM, _on_alarm), (signal.SIGTERM, _on_term))
    }
    signal.alarm(max(1, int(args.timeout)))
    results: list[Result] = []
    failed = False
    begun = time.perf_counter()
    machine = machine_info()  # before the run: the load average is the machine's, not the benchmark's
    try:
        for measurement in MEASUREMENTS:
            if not _selected(measurement, args):
                continue
            for database_url in _databases(measurement, args):
                label = measurement.name + (" on PostgreSQL" if database_url else "")
                print(f"== {label}", flush=True)
                started = time.perf_counter()
                try:
                    with BenchServer(
                        tmp_parent=args.tmp_dir, database_url=database_url, **measurement.server(args)
                    ) as server:
                        try:
                            outcome = measurement.run(server, args)
                        except BaseException:
                            tail = server.log_tail()
                            if tail:
                                print(f"-- server log (tail):\n{tail}", file=sys.stderr)
                            raise
                except (Exception, Timeout) as exc:
                    traceback.print_exc()
                    name = measurement.name + ("_pg" if database_url else "")
                    error = Result(name=name, met=False, notes=[f"error: {type(exc).__name__}: {exc}"])
                    outcome = [*getattr(exc, "partial_results", []), error]  # what was measured before the error
                    failed = True
                print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)
                for result in outcome if isinstance(outcome, list) else [outcome]:
                    results.append(result)
                    if result.met is False:
                        failed = True
    finally:
        signal.alarm(0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print_table(results)
    report = {
        "machine": machine,
        "run": {
            "argv": sys.argv[1:] if argv is None else argv,
            "quick": args.quick,
            "seconds": round(time.perf_counter() - begun, 1),
            "postgres": bool(os.environ.get("BENCH_DATABASE_URL")) and not args.no_postgres,
        },
        "results": [r.as_json() for r in results],
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
