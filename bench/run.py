"""Run the benchmarks: `python -m bench.run [--quick] [--only NAME]` (or `make bench`).

Every measurement gets its own real server (see bench/harness.py). The results are printed as a table and
written to bench/results.json; the exit status is 1 when a measurement failed or missed its target.
"""

from __future__ import annotations

import argparse
import json
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

from bench import overview
from bench.harness import MIB, BenchServer, Result, print_table
from bench.upload import upload_1gib

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"
FULL_UPLOAD_MIB = 1024
QUICK_UPLOAD_MIB = 64


@dataclass(frozen=True)
class Measurement:
    name: str
    run: Callable[[BenchServer, argparse.Namespace], Result | list[Result]]  # a list: one entry per case
    server: Callable[[argparse.Namespace], dict[str, Any]]  # BenchServer keyword arguments


def _upload_mib(args: argparse.Namespace) -> int:
    if args.upload_mib:
        return int(args.upload_mib)
    return QUICK_UPLOAD_MIB if args.quick else FULL_UPLOAD_MIB


MEASUREMENTS = [
    Measurement(
        name="upload_1gib",
        run=lambda server, args: upload_1gib(server, size_bytes=_upload_mib(args) * MIB, timeout=args.timeout),
        # the file plus a margin: the limit must not be what the benchmark measures
        server=lambda args: {"upload_max_bytes": _upload_mib(args) * MIB + 64 * MIB},
    ),
    Measurement(
        name="overview",
        run=lambda server, args: overview.cohort_overview(
            server, big=overview.big_cohort(args), requests=args.requests, warmup=overview.WARMUP
        ),
        # bench-data instead of the demo: a 2,000- and a 200-student cohort among ~100-student ones
        server=lambda args: {"seed": overview.seeder(big=overview.big_cohort(args))},
    ),
]


class Timeout(Exception):
    pass


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Timeout("the benchmark run took longer than --timeout")


def _on_term(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` blocks: server stopped, temp dir removed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: upload {QUICK_UPLOAD_MIB} MiB, not 1 GiB; cohorts of {overview.QUICK_BIG} and "
        f"{overview.QUICK_BIG // 10} students, not {overview.FULL_BIG} and {overview.FULL_BIG // 10}",
    )
    parser.add_argument("--upload-mib", type=int, default=0, help="size of the upload in MiB (overrides --quick)")
    parser.add_argument(
        "--overview-students", type=int, default=0, help="students in the big cohort; the small one has a tenth"
    )
    parser.add_argument(
        "--requests", type=int, default=overview.REQUESTS, help="timed requests per overview case (after 3 warm-up)"
    )
    parser.add_argument("--only", action="append", choices=[m.name for m in MEASUREMENTS], help="run only these")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results file (JSON)")
    parser.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes (default: system temp)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds for the whole run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.alarm(max(1, int(args.timeout)))
    results: list[Result] = []
    failed = False
    try:
        for measurement in MEASUREMENTS:
            if args.only and measurement.name not in args.only:
                continue
            print(f"== {measurement.name}", flush=True)
            started = time.perf_counter()
            try:
                with BenchServer(tmp_parent=args.tmp_dir, **measurement.server(args)) as server:
                    try:
                        outcome = measurement.run(server, args)
                    except BaseException:
                        tail = server.log_tail()
                        if tail:
                            print(f"-- server log (tail):\n{tail}", file=sys.stderr)
                        raise
            except Exception as exc:  # Timeout included
                traceback.print_exc()
                outcome = Result(name=measurement.name, ok=False, notes=[f"error: {type(exc).__name__}: {exc}"])
                failed = True
            print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)
            for result in outcome if isinstance(outcome, list) else [outcome]:
                results.append(result)
                if result.ok is False:
                    failed = True
    finally:
        signal.alarm(0)
    print_table(results)
    args.output.write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n")
    print(f"written: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
