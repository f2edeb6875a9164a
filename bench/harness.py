"""The shared parts of the benchmarks: a real uvicorn server on a fresh database, RSS sampling, results.

`BenchServer` migrates and seeds a SQLite database in a temp dir, or a PostgreSQL database whose schema it
recreates (the demo, or what a measurement's `seed` writes), starts `uvicorn app.asgi:app` in a subprocess on
127.0.0.1 (a free port, one or more workers), waits until it answers, and always stops it again. `RssSampler`
follows the server's resident memory (its children's too) while a measurement runs. A measurement returns
`Result`s, whose targets are `Check`s; `run.py` prints them as a table and writes bench/results.json with the
machine (`machine_info`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
HOST = "127.0.0.1"  # the benchmarks never listen on another address
STUDENT_EMAIL = "lotte@demo.jobcoach.nl"
_CSRF_INPUT = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


# --- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One part of a target: `metric op bound`, e.g. Check("p50_ms", "<=", 10)."""

    metric: str
    op: str  # "<=" or ">="
    bound: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {_fmt_bound(self.bound)}"

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        return value <= self.bound if self.op == "<=" else value >= self.bound


def _fmt_bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class Result:
    """One measurement. Only the fields that apply are written to results.json (None is left out), except
    `target` and `met`, which every entry has (null when the measurement has no target)."""

    name: str
    p50_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    floor_ms: float | None = None
    ratio: float | None = None
    rps: float | None = None
    peak_rss_mb: float | None = None  # growth of the server's RSS over its baseline, MiB
    extra: dict[str, Any] = field(default_factory=dict)  # measurement-specific keys (throughput_mb_s, p99_ms, ...)
    target: str | None = None  # human-readable target, e.g. "p50_ms <= 10 and queries <= 8"
    met: bool | None = None  # whether the target holds
    notes: list[str] = field(default_factory=list)

    def value(self, metric: str) -> Any:
        if metric in self.extra:
            return self.extra[metric]
        return getattr(self, metric, None)

    def check(self, *checks: Check) -> Result:
        """Set `target` and `met` from the checks (all must hold; a missing value fails); returns self."""
        if checks:
            self.target = " and ".join(str(c) for c in checks)
            self.met = all(c.holds(self.value(c.metric)) for c in checks)
        return self

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in {"extra", "notes", "target", "met"} and v is not None}
        data.update({k: v for k, v in self.extra.items() if v is not None})
        data["target"] = self.target
        data["met"] = self.met
        if self.notes:
            data["notes"] = self.notes
        return data


class Timeout(BaseException):
    """The whole run took longer than --timeout (raised by SIGALRM). A BaseException, so that a case's own error
    handling does not take it for that case's failure and carry on."""


def step(message: str) -> None:
    """Progress on stdout, so a slow phase is visible while it runs."""
    print(f"   {time.strftime('%H:%M:%S')} {message}", flush=True)


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile (0-100) by linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


COLUMNS = ("p50_ms", "p95_ms", "queries", "floor_ms", "ratio", "rps", "peak_rss_mb")


def print_table(results: list[Result]) -> None:
    """One row per measurement with the common columns that any result has; the rest listed beneath."""
    columns = [c for c in COLUMNS if any(getattr(r, c) is not None for r in results)]
    header = ["measurement", *columns, "target"]
    rows = []
    for r in results:
        verdict = "" if r.met is None else ("PASS" if r.met else "FAIL") + (f" ({r.target})" if r.target else "")
        rows.append([r.name, *(_fmt(getattr(r, c)) for c in columns), verdict])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row, r in zip(rows, results, strict=True):
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        extra = {k: v for k, v in r.extra.items() if v is not None}
        key_width = max((len(k) for k in extra), default=0)
        for key, value in extra.items():
            print(f"    {key.ljust(key_width)}  {_fmt(value)}")
        for note in r.notes:
            print(f"    note: {note}")
    print()


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


# --- the machine ------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on: CPUs, memory, CPU model, load, Python, SQLite and library versions."""
    import platform
    import sqlite3
    from importlib.metadata import version

    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "ram_mb": None,
        "cpu_model": None,
        "loadavg": None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_mb"] = int(line.split()[1]) // 1024
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    for package in ("uvicorn", "fastapi", "sqlalchemy", "httpx"):
        with contextlib.suppress(Exception):
            info[package] = version(package)
    return info


# --- memory ----------------------------------------------------------------------------------------------


def _status_kib(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """Child processes (recursively) from /proc/<pid>/task/*/children."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except FileNotFoundError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{current}/task/{tid}/children") as f:
                    kids = [int(p) for p in f.read().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of the process and all its descendants, KiB."""
    return sum(_status_kib(p, "VmRSS") or 0 for p in [pid, *descendants(pid)])


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) of the process tree; False if not permitted."""
    ok = True
    for p in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{p}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


def hwm_kib(pid: int) -> int:
    """Sum of VmHWM (peak RSS since start or since `reset_peak`) over the process tree, KiB."""
    return sum(_status_kib(p, "VmHWM") or 0 for p in [pid, *descendants(pid)])


class RssSampler:
    """Samples the RSS of a process tree every `interval` seconds in a thread; `peak_kib` is the maximum seen.

    The kernel's VmHWM (reset at start when permitted) catches spikes shorter than the interval."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self.hwm_reset = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            current = rss_kib(self.pid)
            self.peak_kib = max(self.peak_kib, current)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.hwm_reset = reset_peak(self.pid)
        self.peak_kib = rss_kib(self.pid)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak_kib = max(self.peak_kib, rss_kib(self.pid))
        if self.hwm_reset:
            self.peak_kib = max(self.peak_kib, hwm_kib(self.pid))


# --- the server --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class BenchServer:
    """A fresh database (SQLite, or `database_url`), demo data and `uvicorn app.asgi:app` with `workers`
    processes on 127.0.0.1; use as a context manager.

    `seed(session)` replaces the demo data (the session is committed afterwards); what it returns is kept in
    `seeded`. Everything lives in a temp dir that is removed on exit (also after an error or a timeout)."""

    def __init__(
        self,
        *,
        upload_max_bytes: int | None = None,
        seed: Callable[[Session], Any] | None = None,
        tmp_parent: Path | None = None,
        start_timeout: float = 60,
        database_url: str | None = None,
        workers: int = 1,
    ) -> None:
        self.upload_max_bytes = upload_max_bytes
        self.seed = seed
        self.seeded: Any = None
        self.start_timeout = start_timeout
        self.workers = workers
        self._tmp = tempfile.TemporaryDirectory(prefix="portfolio-bench-", dir=tmp_parent)
        self.tmp = Path(self._tmp.name)
        self.db_path = self.tmp / "bench.db"
        # SQLite in the temp dir, or a PostgreSQL database whose `public` schema is dropped and recreated.
        self.database_url = database_url or f"sqlite:///{self.db_path}"
        self.storage_dir = self.tmp / "storage"
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = self.tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def dialect(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    def engine(self) -> Engine:
        """An engine on the server's database, set up like the app's (SQLite pragmas); dispose it after use."""
        from app.db import make_engine

        return make_engine(self.database_url)

    def env(self) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "bench",
            "STORAGE_BACKEND": "local",
            "STORAGE_DIR": str(self.storage_dir),
            "BASE_URL": self.base_url,
            "COOKIE_SECURE": "false",
        }
        if self.upload_max_bytes is not None:
            env["UPLOAD_MAX_BYTES"] = str(self.upload_max_bytes)
        return env

    def prepare_database(self) -> None:
        """Migrate and seed (the demo, or `seed`) in this process, with the same environment as the server."""
        saved = {k: os.environ.get(k) for k in self.env()}
        os.environ.update(self.env())
        try:
            from sqlmodel import Session

            from app.config import get_settings
            from app.db import make_engine, refresh_statistics
            from app.demo import seed_if_empty
            from app.migrate import upgrade

            get_settings.cache_clear()
            if self.dialect == "postgresql":
                reset_schema(self.database_url)
            upgrade(self.database_url)
            engine = make_engine(self.database_url)
            try:
                with Session(engine) as session:
                    if self.seed is None:
                        seed_if_empty(session)
                    else:
                        self.seeded = self.seed(session)
                    session.commit()
                    # As `portfolio bench-data`, `demo` and `migrate` do, and the worker daily: the planner's
                    # statistics for what was just loaded.
                    refresh_statistics(session)
                    session.commit()
            finally:
                engine.dispose()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            from app.config import get_settings

            get_settings.cache_clear()

    def start(self) -> None:
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env()}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        cmd = [
            sys.executable, "-m", "uvicorn", "app.asgi:app",
            "--host", HOST, "--port", str(self.port),
            "--workers", str(self.workers), "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            # cwd: the temp dir, so a developer's .env in the repository does not change the benchmark.
            self.proc = subprocess.Popen(cmd, cwd=self.tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/login", timeout=2)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server did not answer within {self.start_timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self, *, workers: int) -> None:
        """The same database with another number of uvicorn worker processes."""
        self.stop()
        self.workers = workers
        step(f"restarting uvicorn with {workers} worker(s)")
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base_url, follow_redirects=False, **kwargs)

    def login(self, client: httpx.Client, email: str = STUDENT_EMAIL, password: str | None = None) -> str:
        """Log in over HTTP like a browser; returns the CSRF token for later forms (the cookies stay in `client`)."""
        if password is None:
            from app.demo import DEMO_PASSWORD

            password = DEMO_PASSWORD
        page = client.get("/login")
        page.raise_for_status()
        token = csrf_from(page.text)
        response = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
        if response.status_code != 303:
            raise RuntimeError(f"login as {email} failed: HTTP {response.status_code}")
        return token  # an HMAC of the CSRF cookie, which logging in keeps: valid for the next forms too

    def __enter__(self) -> BenchServer:
        try:
            step(f"migrating and seeding {self.db_path}")
            self.prepare_database()
            step(f"starting uvicorn on {self.base_url}")
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._tmp.cleanup()


def reset_schema(url: str) -> None:
    """PostgreSQL: drop and recreate the `public` schema (the benchmark's database is disposable)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def csrf_from(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    if match is None:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1)
