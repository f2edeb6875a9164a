"""Structured logs (app/logs.py): JSON lines through one formatter, a request id on every line of a request (the
access line and threadpool code too), job name and run id on the worker's lines, LOG_FORMAT=text for people."""

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.config import ROOT, Settings
from app.logs import formatter
from app.main import create_app
from app.notifications.worker import run_worker
from tests.conftest import Browser

HEX_ID = re.compile(r"[0-9a-f]{32}")


class Lines:
    """Every record the root logger sees, through the real formatter, one string per line."""

    def __init__(self, log_format: str = "json") -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(formatter(log_format))

    @property
    def text(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text]


@pytest.fixture
def lines() -> Iterator[Lines]:
    yield from _capture("json")


def _capture(log_format: str) -> Iterator[Lines]:
    captured = Lines(log_format)
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(level)


def with_logging_routes(app: FastAPI) -> FastAPI:
    """Two routes that log: on the event loop and in threadpool code (a sync helper, a sync route)."""

    def in_a_thread() -> None:
        logging.getLogger("app.test").info("from the threadpool")

    async def both() -> dict[str, str]:
        logging.getLogger("app.test").info("on the event loop")
        await run_in_threadpool(in_a_thread)
        return {}

    def sync_route() -> dict[str, str]:
        logging.getLogger("app.test").warning("in a sync route")
        return {}

    app.add_api_route("/_test/log", both)
    app.add_api_route("/_test/sync", sync_route)
    return app


def test_every_line_is_json_with_the_standard_fields(lines: Lines) -> None:
    logging.getLogger("app.somewhere").info("hallo %s", "wereld")
    logging.getLogger("uvicorn.error").warning("started")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("app.somewhere").exception("failed")
    records = lines.json()
    assert [r["event"] for r in records] == ["hallo wereld", "started", "failed"]
    first = records[0]
    assert (first["level"], first["logger"]) == ("info", "app.somewhere")
    assert datetime.fromisoformat(first["timestamp"]).utcoffset() is not None and first["timestamp"].endswith("Z")
    assert "ValueError: boom" in records[2]["exception"]


def test_tokens_are_redacted_on_every_line(lines: Lines) -> None:
    logging.getLogger("app.x").info("opened /link/geheimtoken123 and /cohorten/1/overzicht?zoek=Sanne+Bos")
    [record] = lines.json()
    assert record["event"] == "opened /link/… and /cohorten/1/overzicht?zoek=…"


def test_a_request_id_is_generated_returned_and_on_every_line(app: FastAPI, lines: Lines) -> None:
    with Browser(with_logging_routes(app)) as client:
        first = client.get("/_test/log")
        second = client.get("/_test/sync")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(HEX_ID.fullmatch(i) for i in ids) and ids[0] != ids[1]
    mine = [r for r in lines.json() if r["logger"] == "app.test"]
    assert [(r["event"], r["request_id"]) for r in mine] == [
        ("on the event loop", ids[0]),
        ("from the threadpool", ids[0]),
        ("in a sync route", ids[1]),
    ]


def test_a_log_level_is_read_case_insensitively_and_a_typo_is_refused() -> None:
    assert Settings(log_level="debug").log_level == "DEBUG"
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="INFOO")


def test_an_unexpected_error_answers_with_its_request_id_and_the_security_headers(app: FastAPI) -> None:
    """Starlette answers a 500 outside our middleware: the person must still get the id to quote to the beheerder,
    and the page the same CSP as every other page."""

    def broken() -> None:
        raise RuntimeError("geheime-foutmelding")

    app.add_api_route("/_test/kapot", broken)
    with Browser(app, raise_server_exceptions=False) as client:
        response = client.get("/_test/kapot")
    assert response.status_code == 500
    assert HEX_ID.fullmatch(response.headers["x-request-id"])
    assert "default-src" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "Er ging iets mis." in response.text and "geheime-foutmelding" not in response.text


@pytest.mark.parametrize(
    ("trusted", "offered", "kept"),
    [
        ("testclient", "lb-2f9c.77_A", True),  # a trusted proxy's id, kept
        ("*", "x" * 128, True),
        ("10.0.0.1", "lb-2f9c.77_A", False),  # from a client that is no trusted proxy
        ("testclient", "x" * 129, False),  # too long
        ("testclient", "a b", False),  # not plain
        ("testclient", 'a"\n{"level":"error"}', False),
        ("testclient", "", False),
    ],
)
def test_an_offered_request_id_is_kept_only_from_a_trusted_proxy_and_only_when_plain(
    settings: Settings, trusted: str, offered: str, kept: bool, lines: Lines
) -> None:
    app = with_logging_routes(create_app(settings.model_copy(update={"forwarded_allow_ips": trusted})))
    with Browser(app) as client:
        answered = client.get("/_test/sync", headers={"X-Request-ID": offered}).headers["x-request-id"]
    app.state.engine.dispose()
    if kept:
        assert answered == offered
    else:
        assert HEX_ID.fullmatch(answered)
    [line] = [r for r in lines.json() if r["logger"] == "app.test"]
    assert line["request_id"] == answered


def test_proxy_headers_still_give_the_client_address_behind_a_trusted_proxy(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"forwarded_allow_ips": "testclient"}))

    async def route(request: Request) -> dict[str, str]:
        return {"client": request.client.host if request.client else "", "scheme": request.url.scheme}

    app.add_api_route("/_test/client", route)
    with Browser(app) as client:
        seen = client.get("/_test/client", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    app.state.engine.dispose()
    assert seen.json() == {"client": "203.0.113.9", "scheme": "https"}


# --- a real uvicorn server: its access log line -----------------------------------------------------------------


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port (its access log on: the root logger has a handler)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(with_logging_routes(app), log_config=None, proxy_headers=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_the_access_line_carries_the_request_id_and_is_redacted(served: str, lines: Lines) -> None:
    # The direct peer is 127.0.0.1, the default trusted proxy: its id is kept.
    answered = httpx.get(f"{served}/_test/log?zoek=Sanne+Bos", headers={"X-Request-ID": "from-the-balancer.1"})
    assert answered.headers["x-request-id"] == "from-the-balancer.1"
    of_request = [r for r in lines.json() if r.get("request_id") == "from-the-balancer.1"]
    assert [r["logger"] for r in of_request] == ["app.test", "app.test", "uvicorn.access"]
    access = of_request[-1]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/_test/log?zoek=…", 200)
    assert access["event"] == "GET /_test/log?zoek=… 200" and "Sanne" not in json.dumps(of_request)


# --- the worker -------------------------------------------------------------------------------------------------


def test_worker_lines_carry_the_job_name_and_a_run_id(app: FastAPI, settings: Settings, lines: Lines) -> None:
    def tidy_up(_session: Session, _now: datetime) -> None:
        logging.getLogger("app.jobs").info("tidied")

    def broken(_session: Session, _now: datetime) -> None:
        raise RuntimeError("geheime-foutmelding")

    run_worker(settings=settings, once=True, extra_jobs=[tidy_up, broken, tidy_up])
    records = lines.json()
    tidied = [r for r in records if r["event"] == "tidied"]
    assert [r["job"] for r in tidied] == ["tidy_up", "tidy_up"]
    assert all(HEX_ID.fullmatch(r["run_id"]) for r in tidied) and tidied[0]["run_id"] != tidied[1]["run_id"]
    [failure] = [r for r in records if r["event"].startswith("job broken failed")]
    assert failure["job"] == "broken" and HEX_ID.fullmatch(failure["run_id"])
    started = next(r for r in records if r["event"].startswith("worker started"))
    assert "job" not in started  # bound per job, not left behind


# --- text, and `portfolio serve` --------------------------------------------------------------------------------


def test_log_format_text_is_for_people(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert Settings().log_format == "text"
    capturing = _capture(Settings().log_format)
    captured = next(capturing)
    logging.getLogger("app.x").info("leesbaar")
    capturing.close()
    [line] = captured.text
    assert "leesbaar" in line and "[info" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_portfolio_serve_with_workers_logs_json_lines_only(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DEVELOPMENT": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portfolio.db'}",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),  # this checkout's app, in the spawned worker processes too
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answered = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and answered is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/bestaat-niet", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answered is not None and answered.status_code == 404
        request_id = answered.headers["x-request-id"]
    finally:
        process.terminate()
        output, errors = process.communicate(timeout=20)
    # Logs go to stdout; stderr holds the CLI's own notice only (development mode).
    assert errors.strip() == "Ontwikkelmodus (DEVELOPMENT=true): openbare sleutel, alleen voor lokaal gebruik."
    records = [json.loads(line) for line in output.splitlines()]  # every line, uvicorn's own included
    assert len({r["event"] for r in records if r["event"].startswith("Started server process")}) == 2  # two workers
    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers, output
    [access] = [r for r in records if r["logger"] == "uvicorn.access"]
    assert access["request_id"] == request_id and access["status"] == 404
