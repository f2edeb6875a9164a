"""ActiveRequestLimit: a process works on at most `max_active_requests` requests at once, first come first served;
static files and multipart uploads pass by, and a slot frees as soon as the response starts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI

from app.bodylimit import UPLOAD_STATE
from app.config import Settings
from app.main import ActiveRequestLimit, create_app


def _scope(path: str = "/portfolio", method: str = "GET", **state: Any) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": [(b"host", b"t")], "state": state}


class _SlowApp:
    """An app whose requests each wait for their own go-ahead before answering; it records who got in."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.release: dict[str, asyncio.Event] = {}
        self.body_sent: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        name = scope["path"]
        self.entered.append(name)
        await self.release.setdefault(name, asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        # A streamed body after the start (an export, a file): other requests may go ahead meanwhile.
        await self.body_sent.setdefault(name, asyncio.Event()).wait()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def go(self, name: str, *, body: bool = True) -> None:
        self.release.setdefault(name, asyncio.Event()).set()
        if body:
            self.body_sent.setdefault(name, asyncio.Event()).set()


async def _noop_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _started(limit: ActiveRequestLimit, scope: dict[str, Any]) -> asyncio.Task[None]:
    async def send(_message: Any) -> None:
        return None

    task = asyncio.create_task(limit(scope, _noop_receive, send))
    for _ in range(5):
        await asyncio.sleep(0)
    return task


def test_requests_beyond_the_limit_wait_their_turn_in_arrival_order() -> None:
    async def scenario() -> None:
        inner = _SlowApp()
        limit = ActiveRequestLimit(inner, limit=2)  # type: ignore[arg-type]
        tasks = [await _started(limit, _scope(f"/r{i}")) for i in range(4)]
        assert inner.entered == ["/r0", "/r1"]  # two at work, two queued
        inner.go("/r1")
        await tasks[1]
        for _ in range(5):
            await asyncio.sleep(0)
        assert inner.entered == ["/r0", "/r1", "/r2"]  # the first in the queue, not the last
        inner.go("/r0")
        inner.go("/r2")
        inner.go("/r3")
        await asyncio.gather(*tasks)
        assert inner.entered == ["/r0", "/r1", "/r2", "/r3"]

    asyncio.run(scenario())


def test_the_slot_frees_when_the_response_starts_not_when_its_body_ends() -> None:
    async def scenario() -> None:
        inner = _SlowApp()
        limit = ActiveRequestLimit(inner, limit=1)  # type: ignore[arg-type]
        export = await _started(limit, _scope("/export"))
        page = await _started(limit, _scope("/page"))
        assert inner.entered == ["/export"]
        inner.go("/export", body=False)  # headers sent, the body still streaming
        for _ in range(5):
            await asyncio.sleep(0)
        assert inner.entered == ["/export", "/page"]
        inner.go("/export")
        inner.go("/page")
        await asyncio.gather(export, page)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "scope",
    # BodyLimit marks a body it lets stream to the route (a signed-in upload); every other body was read already.
    [_scope("/static/app.css"), _scope("/bewijs", "POST", **{UPLOAD_STATE: True})],
    ids=["static file", "streamed upload"],
)
def test_static_files_and_uploads_pass_by(scope: dict[str, Any]) -> None:
    async def scenario() -> None:
        inner = _SlowApp()
        limit = ActiveRequestLimit(inner, limit=1)  # type: ignore[arg-type]
        busy = await _started(limit, _scope("/busy"))
        passing = await _started(limit, scope)
        assert inner.entered == ["/busy", scope["path"]]  # not held up by the busy slot
        inner.go("/busy")
        inner.go(scope["path"])
        await asyncio.gather(busy, passing)

    asyncio.run(scenario())


def test_a_request_that_fails_gives_its_slot_back() -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    async def scenario() -> None:
        limit = ActiveRequestLimit(failing, limit=1)
        for _ in range(3):  # with a leaked slot the second call would wait forever
            with pytest.raises(RuntimeError):
                await asyncio.wait_for(limit(_scope(), _noop_receive, _noop_receive), timeout=2)

    asyncio.run(scenario())


def test_the_app_applies_the_configured_limit(settings: Settings) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"max_active_requests": 3}))
    limits = [m.kwargs["limit"] for m in app.user_middleware if m.cls is ActiveRequestLimit]
    assert limits == [3]
