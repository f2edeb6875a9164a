"""Run the SQLite pass and the PostgreSQL pass of the suite side by side (`make pytest` with TEST_DATABASE_URL).

The two passes share no database, no temporary directory and no storage directory, so they can run at once; on
two cores that takes the suite from the sum of both to a little more than the longer one. Each pass's output is
kept whole in test-results/pytest-<pass>.log and its lines are echoed with a prefix as they come; the exit code
is non-zero when either pass fails. SIGTERM and Ctrl-C are passed on to both.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-results"


def _pass_env(name: str, base: Path) -> dict[str, str]:
    env = dict(os.environ)
    if name == "sqlite":
        env.pop("TEST_DATABASE_URL", None)
        env.pop("REQUIRE_POSTGRES", None)
    # Anything a test leaves at the default storage directory (CLI subprocesses) stays in its own pass.
    env["STORAGE_DIR"] = str(base / name / "storage")
    return env


def _echo(name: str, stream: "subprocess.Popen[bytes]", log: Path) -> None:
    assert stream.stdout is not None
    with log.open("wb") as out:
        for line in stream.stdout:
            out.write(line)
            out.flush()
            sys.stdout.write(f"[{name}] {line.decode(errors='replace')}")
            sys.stdout.flush()


def main(argv: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    passes = ["sqlite", "postgres"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="pytest-passes-"))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    threads = []
    for name in passes:
        (base / name).mkdir()  # pytest makes --basetemp itself, but not its parent
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={base / name / 'tmp'}"]
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and the arguments make passed on
            [*args, *argv], cwd=ROOT, env=_pass_env(name, base), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        procs[name] = proc
        thread = threading.Thread(target=_echo, args=(name, proc, RESULTS / f"pytest-{name}.log"), daemon=True)
        thread.start()
        threads.append(thread)

    def forward(signum: int, _frame: object) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = {name: proc.wait() for name, proc in procs.items()}
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for name, code in codes.items():
        print(f"== {name}: {'passed' if code == 0 else f'FAILED (exit {code})'}; log in test-results/pytest-{name}.log")
    print(f"== both passes in {elapsed:.0f} s")
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
