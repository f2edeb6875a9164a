"""upload_1gib: one large WAV through POST /bewijs, streamed from disk, against `cp` on the same disk.

Reports throughput, `ratio` = upload throughput / cp throughput (target: at least 0.5), and the growth of the
server's peak RSS during the upload (target: at most 64 MiB, i.e. the upload path streams instead of buffering).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import struct
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.harness import MIB, BenchServer, Check, Result, RssSampler, csrf_from, rss_kib, step

RSS_TARGET_MB = 64
RATIO_TARGET = 0.5  # upload throughput / cp throughput
CHUNK = MIB
WAV_HEADER_BYTES = 44


def write_wav(path: Path, total_bytes: int) -> str:
    """A valid PCM WAV of exactly `total_bytes` (header included), written in 1 MiB chunks; returns its sha256.

    The samples are one random MiB repeated with a counter in front of every chunk: not all zeros, and not
    compressible by anything with a window below 1 MiB, yet cheap to produce."""
    data_bytes = total_bytes - WAV_HEADER_BYTES
    if data_bytes <= 0 or data_bytes >= 1 << 32:
        raise ValueError("a WAV holds 1 byte to 4 GiB of samples")
    channels, rate, bits = 2, 48_000, 16
    block_align = channels * bits // 8
    header = (
        b"RIFF" + struct.pack("<I", total_bytes - 8) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block_align, block_align, bits)
        + b"data" + struct.pack("<I", data_bytes)
    )  # fmt: skip
    assert len(header) == WAV_HEADER_BYTES
    digest = hashlib.sha256(header)
    block = os.urandom(CHUNK)
    with open(path, "wb") as f:
        f.write(header)
        left, counter = data_bytes, 0
        while left > 0:
            chunk = (counter.to_bytes(8, "little") + block[8:])[: min(CHUNK, left)]
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
            counter += 1
        f.flush()
        os.fsync(f.fileno())  # on disk before anything is timed: no write-back of it during the copy or upload
    return digest.hexdigest()


def time_copy(src: Path, dst: Path) -> float:
    """Seconds for the `cp` command plus fsync of the copy (the upload fsyncs its file too); the copy is removed."""
    try:
        start = time.perf_counter()
        subprocess.run(["cp", str(src), str(dst)], check=True)  # the real cp, as the issue says
        fd = os.open(dst, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return time.perf_counter() - start
    finally:
        dst.unlink(missing_ok=True)


class MultipartBody:
    """multipart/form-data around a file on disk, produced in chunks: the file is never read whole."""

    def __init__(self, fields: list[tuple[str, str]], *, file_field: str, path: Path, filename: str, ctype: str):
        self.boundary = "bench-" + secrets.token_hex(16)
        self.path = path
        parts = []
        for name, value in fields:
            parts.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        self.prefix = b"".join(parts)
        self.suffix = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(self.prefix) + path.stat().st_size + len(self.suffix)
        self.sent_at: float | None = None  # when the last byte was handed to the connection

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __iter__(self) -> Iterator[bytes]:
        yield self.prefix
        with open(self.path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
        yield self.suffix
        self.sent_at = time.perf_counter()


def evidence_fields(title: str) -> list[tuple[str, str]]:
    return [
        ("title", title),
        ("activity_date", (date.today() - timedelta(days=1)).isoformat()),
        ("kind", "audio"),
        ("reflection", "Benchmark: een groot audiobestand."),
        ("privacy", "ja"),
        ("eindterm", "IA-a"),
        ("onderbouwing_IA-a", "Opname van een oefengesprek (benchmark)."),
    ]


def post_evidence(client: httpx.Client, token: str, body: MultipartBody, timeout: float) -> httpx.Response:
    return client.post(
        "/bewijs",
        params={"csrf_token": token},
        content=iter(body),
        headers={"Content-Type": body.content_type, "Content-Length": str(body.length)},
        timeout=httpx.Timeout(timeout, connect=10),
    )


def _expect_redirect(response: httpx.Response, what: str) -> int:
    location = response.headers.get("location", "")
    if response.status_code != 303 or not location.startswith("/bewijs/"):
        status = response.status_code
        raise RuntimeError(f"{what}: expected 303 to /bewijs/<id>, got HTTP {status}: {response.text[:500]}")
    return int(location.rsplit("/", 1)[1])


def stored_blob(db_path: Path, evidence_id: int) -> tuple[int, str]:
    """(size, sha256) of the file of the first version of the evidence, read from the server's database."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT b.size, b.sha256 FROM blob b JOIN evidence_file f ON f.blob_id = b.id "
            "JOIN evidence_version v ON v.id = f.version_id WHERE v.evidence_id = ? ORDER BY b.id DESC LIMIT 1",
            (evidence_id,),
        ).fetchone()
    if row is None:
        raise RuntimeError(f"no stored file for evidence {evidence_id}")
    return int(row[0]), str(row[1])


def upload_1gib(server: BenchServer, *, size_bytes: int, timeout: float) -> Result:
    name = "upload_1gib" if size_bytes == 1 << 30 else f"upload_{size_bytes // MIB}mib"
    work = server.tmp / "files"
    work.mkdir(exist_ok=True)
    big = work / "bench-upload.wav"
    small = work / "warmup.wav"
    try:
        step(f"writing a {size_bytes // MIB} MiB WAV")
        expected_sha = write_wav(big, size_bytes)
        write_wav(small, 256 * 1024)
        step("copying it (cp + fsync)")
        cp_s = time_copy(big, work / "bench-upload-copy.wav")
        step("logging in, warm-up upload")

        with server.client() as client:
            token = server.login(client)
            rss_after_login = rss_kib(server.pid)
            token = csrf_from(client.get("/bewijs/nieuw").text)
            # A small upload first: the first one loads libmagic's database and imports what the upload path
            # needs; that one-off cost is not what this measures (it is reported as rss_after_login_mb).
            warm = MultipartBody(
                evidence_fields("Warming-up"), file_field="files", path=small, filename="warmup.wav", ctype="audio/wav"
            )
            _expect_redirect(post_evidence(client, token, warm, timeout=60), "warm-up upload")
            time.sleep(0.5)
            baseline = rss_kib(server.pid)

            body = MultipartBody(
                evidence_fields(f"Benchmark {size_bytes // MIB} MiB"),
                file_field="files",
                path=big,
                filename="oefengesprek.wav",
                ctype="audio/wav",
            )
            step("uploading")
            with RssSampler(server.pid) as sampler:
                start = time.perf_counter()
                response = post_evidence(client, token, body, timeout=timeout)
                upload_s = time.perf_counter() - start
            evidence_id = _expect_redirect(response, "upload")

        step("checking the stored file")
        size, sha = stored_blob(server.db_path, evidence_id)
        if size != size_bytes or sha != expected_sha:
            raise RuntimeError(f"stored file differs: {size} bytes, sha256 {sha} (expected {expected_sha})")
    finally:
        big.unlink(missing_ok=True)
        small.unlink(missing_ok=True)

    mib = size_bytes / MIB
    growth = (sampler.peak_kib - baseline) / 1024
    after_body = upload_s - (body.sent_at - start) if body.sent_at else None
    result = Result(
        name=name,
        ratio=round(cp_s / upload_s, 2),  # throughput of the upload / throughput of cp
        peak_rss_mb=round(growth, 1),
        extra={
            "throughput_mb_s": round(mib / upload_s, 1),
            "cp_mb_s": round(mib / cp_s, 1),
            "rss_baseline_mb": round(baseline / 1024, 1),
            "rss_peak_mb": round(sampler.peak_kib / 1024, 1),
            "rss_after_login_mb": round(rss_after_login / 1024, 1),
            "size_mib": round(mib, 1),
            "upload_s": round(upload_s, 2),
            "after_body_s": round(after_body, 2) if after_body is not None else None,
            "cp_s": round(cp_s, 2),
        },
    )
    result.check(Check("ratio", ">=", RATIO_TARGET), Check("peak_rss_mb", "<=", RSS_TARGET_MB))
    if not sampler.hwm_reset:
        result.notes.append("could not reset VmHWM: the peak is from 20 ms samples only")
    result.notes.append("after_body_s: time from the last byte sent to the response (checks, fsync, publish)")
    return result
