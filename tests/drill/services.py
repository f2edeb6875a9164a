"""The drill's moving parts as real processes and servers: moto's S3 behind a gate, an SMTP sink, app instances
and the worker. Each has a stop that the drill's fixture calls in a finally."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any, ClassVar

import httpx

from tests.drill.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_until(check: Any, *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what}: niet binnen {timeout:.0f} s")


class Gate:
    """A TCP relay in front of a server. `close()` refuses new connections and cuts the open ones (the server is
    unreachable, as in an outage) while the server behind it keeps its state; `open()` lets traffic through again.

    moto keeps its objects in memory: stopping moto itself would lose every saved blob, which is not the outage
    the drill is about."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.open()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="gate-accept").start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(256 * 1024):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._conns -= {source, sink}


class S3:
    """moto's S3 server as a subprocess with one bucket; the app reaches it through `gate`, the drill directly."""

    bucket = "drill"
    credentials: ClassVar[dict[str, str]] = {
        "region_name": "eu-west-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        moto = Path(sys.executable).parent / "moto_server"
        argv = [str(moto)] if moto.exists() else [sys.executable, "-m", "moto.server"]
        self.process = subprocess.Popen(
            [*argv, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=(logs / "moto.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.endpoint = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: httpx.get(self.endpoint, timeout=1).status_code < 500, timeout=20, what="moto")
        self.client().create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.gate = Gate(self.port)

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, **self.credentials)

    def keys(self) -> set[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        return {o["Key"] for page in paginator.paginate(Bucket=self.bucket) for o in page.get("Contents", [])}

    def partial_uploads(self) -> list[str]:
        answer = self.client().list_multipart_uploads(Bucket=self.bucket)
        return [u["Key"] for u in answer.get("Uploads", [])]

    def stop(self) -> None:
        self.gate.close()
        self.process.terminate()
        self.process.wait(10)


@dataclass
class Received:
    message_id: str
    to: str
    subject: str


@dataclass
class Sink:
    """aiosmtpd handler: records every accepted message with its Message-ID; `delay` makes each DATA slow, so
    that a worker can be caught in the middle of a batch."""

    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(
            Received(str(parsed.get("Message-ID", "")), ",".join(envelope.rcpt_tos), str(parsed.get("Subject", "")))
        )
        return "250 OK"


OUTBOX_ID = re.compile(r"outbox-(\d+)\.")


class Mail:
    """The SMTP sink on a fixed port: stopped and started again on the same port for an outage."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller: Any = None
        self.start()

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def arrivals(self) -> dict[int, list[str]]:
        """Per outbox row (from the Message-ID the app derives from it): every Message-ID that arrived."""
        found: dict[int, list[str]] = {}
        for message in list(self.sink.received):
            match = OUTBOX_ID.search(message.message_id)
            if match:
                found.setdefault(int(match.group(1)), []).append(message.message_id)
        return found


class Process:
    """One app instance (`uvicorn app.asgi:app`) or the worker (`portfolio worker`), killable with SIGKILL."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path, port: int | None = None):
        self.name, self.argv, self.env, self.logs, self.port = name, argv, env, logs, port
        self.url = f"http://127.0.0.1:{port}" if port else ""
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"{self.name}.{self.starts}.log").open("wb")
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        if self.port:
            wait_until(lambda: httpx.get(self.url + "/login", timeout=2).status_code == 200, timeout=30, what=self.name)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{self.name}.*.log")))


def app_env(*, database_url: str, s3: S3, mail: Mail, secret_key: str, base_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")}
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "DEVELOPMENT": "false",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "BASE_URL": base_url,
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": s3.bucket,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3.gate.port}",
        "S3_REGION": "eu-west-1",
        "S3_ACCESS_KEY": "test",
        "S3_SECRET_KEY": "test",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "WORKER_INTERVAL_SECONDS": "1",
        # A build whose process died is taken over after this long (h-resil's setting; the drill also ages rows).
        "BUILD_STALE_SECONDS": "5",
        "MAX_ACTIVE_REQUESTS": "4",
        # The drill's staff sign in with a password only; the second factor has tests of its own.
        "SECOND_FACTOR_REQUIRED": "false",
        # boto3 must not wait minutes on an unreachable store: the request should answer 503 quickly.
        "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard",
    }


def instance(name: str, env: dict[str, str], logs: Path) -> Process:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    return Process(name, argv, env, logs, port)


def worker(env: dict[str, str], logs: Path) -> Process:
    return Process("worker", [sys.executable, "-m", "app.cli", "worker"], env, logs)


def portfolio(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A `portfolio` command against the drill's database and bucket."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
