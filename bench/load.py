"""A load generator: `clients` concurrent keep-alive connections, each sending GETs back to back for `duration`s.

Runs in its own process (`python -m bench.load`, configured by JSON on stdin, answering JSON on stdout), so it
does not share a CPU-bound event loop with the harness, and never with the server. Each client has its own
session cookie (its own signed-in user). The default client speaks HTTP/1.1 over asyncio streams directly: it
costs the machine far less CPU per request than an HTTP library, which matters when the generator and the server
share two cores. `"client": "httpx"` uses httpx.AsyncClient instead.

Latency is per request (sent → whole body read); requests still running when the time is up are not counted.
A warm-up of `warmup` seconds (every client busy) comes first and is not counted either.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.harness import percentile


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.counting = False

    def error(self, what: str) -> None:
        if self.counting:
            self.errors[what] = self.errors.get(what, 0) + 1


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked); returns the status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _raw_client(cfg: dict[str, Any], cookie: str, stats: Stats, stop_at: float, delay: float) -> None:
    await asyncio.sleep(delay)
    request = (
        f"GET {cfg['path']} HTTP/1.1\r\nHost: {cfg['host']}:{cfg['port']}\r\nCookie: {cookie}\r\n"
        "Accept: text/html\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(cfg["host"], cfg["port"])
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                stats.error(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(cfg["host"], cfg["port"])
                continue
            elapsed = time.perf_counter() - start
            if status != 200:
                stats.error(f"HTTP {status}")
            elif stats.counting and time.perf_counter() <= stop_at:
                stats.latencies.append(elapsed * 1000)
    finally:
        writer.close()


async def _httpx_client(cfg: dict[str, Any], cookie: str, stats: Stats, stop_at: float, delay: float) -> None:
    import httpx

    await asyncio.sleep(delay)
    base = f"http://{cfg['host']}:{cfg['port']}"
    async with httpx.AsyncClient(base_url=base, headers={"Cookie": cookie}, timeout=30) as client:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                response = await client.get(cfg["path"])
            except httpx.HTTPError as exc:
                stats.error(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                stats.error(f"HTTP {response.status_code}")
            elif stats.counting and time.perf_counter() <= stop_at:
                stats.latencies.append(elapsed * 1000)


async def run(cfg: dict[str, Any]) -> dict[str, Any]:
    cookies: list[str] = cfg["cookies"]
    clients = int(cfg["clients"])
    duration = float(cfg["duration"])
    warmup = float(cfg.get("warmup", 2))
    stats = Stats()
    worker = _httpx_client if cfg.get("client") == "httpx" else _raw_client
    begin = time.perf_counter()
    stop_at = begin + warmup + duration
    # Clients arrive one by one over the first half of the warm-up (as locust's spawn rate does), not as one burst
    # of connects: a burst lands on whichever server worker process wakes first, which real users never do.
    ramp = warmup / 2
    tasks = [
        asyncio.create_task(worker(cfg, cookies[i % len(cookies)], stats, stop_at, ramp * i / clients))
        for i in range(clients)
    ]
    await asyncio.sleep(warmup)
    stats.counting = True
    counted_from = time.perf_counter()
    await asyncio.gather(*tasks)
    window = min(time.perf_counter(), stop_at) - counted_from
    lat = stats.latencies
    return {
        "requests": len(lat),
        "seconds": round(window, 2),
        "rps": round(len(lat) / window, 1) if window > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50), 1) if lat else None,
        "p95_ms": round(percentile(lat, 95), 1) if lat else None,
        "p99_ms": round(percentile(lat, 99), 1) if lat else None,
        "max_ms": round(max(lat), 1) if lat else None,
        "errors": stats.errors,
        "clients": clients,
        "client": cfg.get("client", "raw"),
    }


def main() -> None:
    cfg = json.loads(sys.stdin.read())
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is in the lock file
        result = asyncio.run(run(cfg))
    else:
        result = uvloop.run(run(cfg))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
