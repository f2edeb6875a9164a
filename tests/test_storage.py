"""Blob storage (local disk and a real S3 API served by moto on loopback, through the SAME tests), the
upload spool, and the streaming multipart reader with its limits and clean-up on every failure."""

import hashlib
import os
import random
import stat
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from starlette.requests import ClientDisconnect, Request

from app.storage import (
    BlobInfo,
    BlobNotFound,
    FileTooLarge,
    LocalStorage,
    S3Storage,
    Spool,
    Storage,
    check_storage,
    human_size,
    new_key,
    storage_from_settings,
    upload_limits_from_settings,
    validate_key,
)
from app.storage.multipart import MalformedUpload, TooManyFiles, UploadRefused, read_multipart
from tests.hostile import hostile_corpus

MiB = 1024 * 1024

# --- backends ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server mode) on a free loopback port, for this test session only."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Backend:
    name: str
    storage: Storage
    corrupt: Callable[[str, bytes], None]  # replace a stored blob's bytes behind the storage's back


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        local = LocalStorage(tmp_path / "blobs")
        return Backend("local", local, lambda key, data: local.path_for(key).write_bytes(data))
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = f"bewijs-{uuid.uuid4().hex[:12]}"
    s3 = S3Storage(
        bucket,
        prefix="evidence",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
        spool_dir=tmp_path / "spool",
        multipart_threshold=8 * MiB,
        multipart_chunksize=5 * MiB,
    )
    s3.client.create_bucket(Bucket=bucket)  # only tests create buckets
    return Backend("s3", s3, lambda key, data: s3.client.put_object(Bucket=bucket, Key=s3.object_name(key), Body=data))


def spool_bytes(storage: Storage, data: bytes, *, limit: int = 100 * MiB, name: str = "verslag.pdf") -> Path:
    with Spool(storage.spool_dir(), limit=limit, original_name=name) as spool:
        spool.write(data)
        return spool.finish().path


def publish_bytes(storage: Storage, data: bytes, key: str | None = None) -> str:
    key = key or new_key()
    storage.publish(spool_bytes(storage, data), key=key, content_type="application/pdf")
    return key


def read_all(storage: Storage, key: str) -> bytes:
    return b"".join(storage.open_chunks(key))


def test_round_trip(backend: Backend) -> None:
    storage = backend.storage
    temp = spool_bytes(storage, b"Verslag van de praktijkdag")
    assert temp.parent == storage.spool_dir() and temp.name.endswith(".part")
    key = new_key()
    assert not storage.exists(key)
    before = datetime.now(UTC) - timedelta(seconds=5)

    storage.publish(temp, key=key, content_type="application/pdf")

    assert not temp.exists(), "the temp file is gone after publishing"
    assert list(storage.spool_dir().iterdir()) == []
    assert storage.exists(key)
    assert storage.size(key) == 26
    assert read_all(storage, key) == b"Verslag van de praktijkdag"
    assert list(storage.open_chunks(key, chunk_size=10)) == [b"Verslag va", b"n de prakt", b"ijkdag"]
    (info,) = list(storage.iter_blobs())
    assert isinstance(info, BlobInfo) and info.key == key and info.size == 26
    assert info.modified.tzinfo is not None and before <= info.modified <= datetime.now(UTC) + timedelta(seconds=5)

    storage.delete(key)
    storage.delete(key)  # idempotent
    assert not storage.exists(key)
    assert list(storage.iter_blobs()) == []
    with pytest.raises(BlobNotFound):
        storage.open_chunks(key)  # raised on the call, before anything is streamed
    with pytest.raises(KeyError):
        storage.size(key)


def test_a_20_mib_upload_is_published_and_streamed_back_intact(backend: Backend) -> None:
    storage = backend.storage
    rng = random.Random(20)
    digest = hashlib.sha256()
    with Spool(storage.spool_dir(), limit=25 * MiB) as spool:
        for _ in range(20):
            chunk = rng.randbytes(MiB)
            digest.update(chunk)
            spool.write(chunk)
        spooled = spool.finish()
    assert spooled.size == 20 * MiB and spooled.sha256 == digest.hexdigest()
    key = new_key()
    storage.publish(spooled.path, key=key, content_type="video/mp4")

    read_back = hashlib.sha256()
    largest = 0
    for chunk in storage.open_chunks(key, chunk_size=MiB):
        largest = max(largest, len(chunk))
        read_back.update(chunk)
    assert read_back.hexdigest() == spooled.sha256
    assert largest <= MiB
    assert storage.size(key) == 20 * MiB
    if isinstance(storage, S3Storage):
        head = storage.client.head_object(Bucket=storage.bucket, Key=storage.object_name(key))
        assert "-" in head["ETag"], "sent as a multipart upload"
        assert head["ContentType"] == "video/mp4"


BAD_KEYS = [
    "",
    "../../etc/passwd",
    "0123456789abcdef0123456789abcde",  # 31
    "0123456789abcdef0123456789abcdef0",  # 33
    "0123456789ABCDEF0123456789ABCDEF",  # upper case
    "0123456789abcdef/123456789abcdef",
    "..23456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcde\n",
    "0123456789abcdef0123456789abcdeg",
]


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_invalid_keys_are_refused(backend: Backend, bad: str) -> None:
    storage = backend.storage
    for call in (storage.exists, storage.size, storage.delete, storage.open_chunks):
        with pytest.raises(ValueError):
            call(bad)
    temp = spool_bytes(storage, b"x")
    with pytest.raises(ValueError):
        storage.publish(temp, key=bad, content_type="text/plain")
    assert not temp.exists()
    assert list(storage.iter_blobs()) == []


def test_new_keys_are_random_and_valid() -> None:
    keys = {new_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(validate_key(k) == k for k in keys)
    with pytest.raises(ValueError):
        validate_key(123)


def _age(path: Path, days: float) -> None:
    then = (datetime.now(UTC) - timedelta(days=days)).timestamp()
    os.utime(path, (then, then))


def test_check_storage(backend: Backend) -> None:
    storage = backend.storage
    good = publish_bytes(storage, b"goed")
    bad = publish_bytes(storage, b"origineel")
    unchecked = publish_bytes(storage, b"zonder checksum")
    orphan = publish_bytes(storage, b"wees")
    missing = new_key()
    backend.corrupt(bad, b"iemand heeft dit veranderd")
    known: dict[str, str | None] = {
        good: hashlib.sha256(b"goed").hexdigest(),
        bad: hashlib.sha256(b"origineel").hexdigest().upper(),  # case does not matter
        unchecked: None,
        missing: hashlib.sha256(b"weg").hexdigest(),
    }
    old_temp = storage.spool_dir() / "afgebroken.part"
    old_temp.write_bytes(b"half")
    _age(old_temp, 2)
    fresh_temp = storage.spool_dir() / "bezig.part"
    fresh_temp.write_bytes(b"nog bezig")

    # A recent unknown blob may be an upload whose row is being saved right now: not an orphan yet.
    report = check_storage(storage, known=known, remove=True, grace=timedelta(hours=1))
    assert report.checked == 4
    assert report.verified == 1
    assert report.orphans == [] and report.recent_unknown == [orphan]
    assert report.missing == [missing]
    assert [(m.key, m.expected, m.actual) for m in report.mismatches] == [
        (bad, hashlib.sha256(b"origineel").hexdigest(), hashlib.sha256(b"iemand heeft dit veranderd").hexdigest())
    ]
    assert report.stale_temp_files == [old_temp] and report.temp_files_removed == 1
    assert not old_temp.exists() and fresh_temp.exists()
    assert storage.exists(orphan)
    assert not report.ok

    # Past the grace it is an orphan: reported, and removed only when asked.
    report = check_storage(storage, known=known, remove=False, grace=timedelta(0))
    assert report.orphans == [orphan] and report.orphans_removed == 0
    assert report.stale_temp_files == [fresh_temp] and report.temp_files_removed == 0
    assert storage.exists(orphan) and fresh_temp.exists()

    report = check_storage(storage, known=known, remove=True, grace=timedelta(0))
    assert report.orphans == [orphan] and report.orphans_removed == 1
    assert not storage.exists(orphan) and not fresh_temp.exists()
    assert storage.exists(good) and storage.exists(bad) and storage.exists(unchecked)

    # Idempotent: what was removed is gone; what needs a person is still reported, never "repaired".
    again = check_storage(storage, known=known, remove=True, grace=timedelta(0))
    assert again.orphans == [] and again.stale_temp_files == []
    assert again.missing == [missing] and [m.key for m in again.mismatches] == [bad]
    assert again.summary()["mismatches"] == 1

    healthy = check_storage(
        storage, known={good: known[good], unchecked: None, bad: None}, remove=False, grace=timedelta(0)
    )
    assert healthy.ok, healthy.summary()


def test_publish_failure_still_removes_the_temp_file(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = backend.storage
    temp = spool_bytes(storage, b"gevoelig")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError("schijf vol")

    if isinstance(storage, LocalStorage):
        monkeypatch.setattr("app.storage.backends.os.replace", fail)
    else:
        assert isinstance(storage, S3Storage)
        monkeypatch.setattr(storage.client, "upload_file", fail)
    key = new_key()
    with pytest.raises(OSError, match="schijf vol"):
        storage.publish(temp, key=key, content_type="application/pdf")
    assert not temp.exists()
    monkeypatch.undo()
    assert not storage.exists(key)


def test_local_layout_permissions_and_foreign_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "blobs")
    key = publish_bytes(storage, b"inhoud")
    path = storage.path_for(key)
    assert path == storage.root / key[:2] / key[2:4] / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(storage.spool_dir().stat().st_mode) == 0o700
    # Foreign and misplaced files are not blobs; neither are temp files.
    (storage.root / "LEESMIJ.txt").write_text("x")
    (path.parent / "notakey").write_text("x")
    misplaced = storage.root / key[:2] / key[2:4] / new_key()
    misplaced.write_text("x")
    spool_bytes(storage, b"bezig")
    assert [b.key for b in storage.iter_blobs()] == [key]


def test_publish_across_filesystems_copies_then_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    storage = LocalStorage(tmp_path / "blobs")
    temp = spool_bytes(storage, b"van elders")
    real_replace = os.replace
    calls: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        calls.append(str(src))
        if Path(src) == temp:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr("app.storage.backends.os.replace", replace)
    key = new_key()
    storage.publish(temp, key=key, content_type="text/plain")
    assert read_all(storage, key) == b"van elders"
    assert not temp.exists() and len(calls) == 2
    assert [p.name for p in storage.path_for(key).parent.iterdir()] == [key]


def test_s3_unfinished_multipart_uploads_are_aborted(moto_endpoint: str, tmp_path: Path) -> None:
    bucket = f"bewijs-{uuid.uuid4().hex[:12]}"
    storage = S3Storage(
        bucket,
        endpoint_url=moto_endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
        spool_dir=tmp_path,
    )
    storage.client.create_bucket(Bucket=bucket)
    storage.client.create_multipart_upload(Bucket=bucket, Key=new_key())
    # (moto reports every upload as started in 2010, so "recent ones are kept" cannot be shown here.)
    report = check_storage(storage, known={}, remove=False, grace=timedelta(hours=1))
    assert len(report.stale_partial_uploads) == 1 and report.partial_uploads_aborted == 0
    assert len(storage.client.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 1
    report = check_storage(storage, known={}, remove=True, grace=timedelta(hours=1))
    assert len(report.stale_partial_uploads) == 1 and report.partial_uploads_aborted == 1
    assert storage.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_storage_from_settings(tmp_path: Path) -> None:
    from app.config import Settings

    local = storage_from_settings(SimpleNamespace(storage_backend="local", storage_dir=tmp_path / "a"))
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "a").resolve()
    assert isinstance(storage_from_settings(Settings(storage_dir=tmp_path / "b")), LocalStorage)
    s3 = storage_from_settings(
        SimpleNamespace(
            storage_backend="s3",
            storage_dir=tmp_path / "c",
            s3_bucket="bewijs",
            s3_prefix="/evidence/",
            s3_endpoint_url="http://127.0.0.1:9",
            s3_region="eu-west-1",
        )
    )
    assert isinstance(s3, S3Storage) and s3.prefix == "evidence/" and s3.spool_dir() == tmp_path / "c" / ".incoming"
    with pytest.raises(ValueError):
        storage_from_settings(SimpleNamespace(storage_backend="s3", storage_dir=tmp_path))  # no bucket
    with pytest.raises(ValueError):
        storage_from_settings(SimpleNamespace(storage_backend="ftp", storage_dir=tmp_path))
    assert upload_limits_from_settings(SimpleNamespace()) == (500 * MiB, 20)
    assert upload_limits_from_settings(SimpleNamespace(upload_max_bytes=10, upload_max_files=2)) == (10, 2)


# --- spool ---------------------------------------------------------------------------------------------


def test_spool_counts_hashes_and_keeps_the_head(tmp_path: Path) -> None:
    data = random.Random(1).randbytes(20_000)
    with Spool(
        tmp_path, limit=20_000, original_name="../foto.jpg", field_name="files", declared_content_type="x/y"
    ) as s:
        for i in range(0, len(data), 3000):
            s.write(data[i : i + 3000])
        spooled = s.finish()
    assert spooled.size == 20_000
    assert spooled.sha256 == hashlib.sha256(data).hexdigest()
    assert spooled.head == data[:8192]
    assert spooled.path.read_bytes() == data
    assert spooled.path.parent == tmp_path and spooled.path.suffix == ".part"
    assert stat.S_IMODE(spooled.path.stat().st_mode) == 0o600
    assert (spooled.original_name, spooled.field_name, spooled.declared_content_type) == ("../foto.jpg", "files", "x/y")
    spooled.discard()
    assert list(tmp_path.iterdir()) == []


def test_spool_limit_is_raised_at_one_byte_over_and_the_temp_file_is_gone(tmp_path: Path) -> None:
    s = Spool(tmp_path, limit=10, original_name="groot.txt")
    s.write(b"0123456789")  # exactly the limit is fine
    with pytest.raises(FileTooLarge) as caught:
        s.write(b"x")
    assert caught.value.limit == 10
    assert caught.value.status_code == 413
    assert caught.value.message == "Het bestand groot.txt is groter dan 10 bytes."
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        s.write(b"y")


def test_the_hostile_over_the_limit_file_is_stopped_by_the_spool(tmp_path: Path) -> None:
    limit = 64 * 1024
    (big,) = [h for h in hostile_corpus(limit) if h.expect == "size"]
    with pytest.raises(FileTooLarge) as caught, Spool(tmp_path, limit=limit, original_name=big.name) as s:
        for i in range(0, len(big.data), 4096):
            s.write(big.data[i : i + 4096])
    assert caught.value.message == "Het bestand groot.txt is groter dan 64 kB."
    assert list(tmp_path.iterdir()) == []


def test_spool_context_manager_discards_on_exception_and_when_unfinished(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), Spool(tmp_path, limit=100) as s:
        s.write(b"half")
        raise RuntimeError("kapot")
    with Spool(tmp_path, limit=100) as s:
        s.write(b"nooit afgemaakt")
    assert list(tmp_path.iterdir()) == []
    with Spool(tmp_path, limit=100) as s:
        s.write(b"klaar")
        kept = s.finish()
    assert kept.path.read_bytes() == b"klaar"


def test_messages_name_sizes_for_people() -> None:
    assert human_size(500 * MiB) == "500 MB"
    assert human_size(1536 * MiB) == "1,5 GB"
    assert human_size(64 * 1024) == "64 kB"
    assert human_size(1) == "1 byte"
    assert FileTooLarge(500 * MiB, "film.mp4").message == "Het bestand film.mp4 is groter dan 500 MB."
    sneaky = FileTooLarge(MiB, "a\u202egnp.exe\r\nX: y").message
    assert "\u202e" not in sneaky and "\r" not in sneaky and "\n" not in sneaky


# --- multipart -----------------------------------------------------------------------------------------

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"


def _quote_name(name: str) -> str:
    # What browsers do with these characters in multipart filenames (HTML standard).
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_body(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]]) -> bytes:
    out = bytearray()
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for field, filename, data, content_type in files:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{_quote_name(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


class Client:
    """Plays the ASGI server: hands the body to the app in small chunks, or goes away midway."""

    def __init__(
        self,
        body: bytes,
        *,
        chunk: int = 7,
        disconnect_after: int | None = None,
        raise_after: int | None = None,
        hang_after: int | None = None,
    ) -> None:
        self.chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        self.sent = 0
        self.disconnect_after = disconnect_after
        self.raise_after = raise_after
        self.hang_after = hang_after

    async def receive(self) -> dict[str, Any]:
        if self.disconnect_after is not None and self.sent >= self.disconnect_after:
            return {"type": "http.disconnect"}
        if self.raise_after is not None and self.sent >= self.raise_after:
            raise ClientDisconnect()
        if self.hang_after is not None and self.sent >= self.hang_after:
            await anyio.sleep_forever()
        chunk = self.chunks[self.sent]
        self.sent += 1
        return {"type": "http.request", "body": chunk, "more_body": self.sent < len(self.chunks)}


def make_request(
    body: bytes, client: Client | None = None, *, content_length: int | None = -1, content_type: str | None = None
) -> Request:
    client = client or Client(body)
    headers = [(b"content-type", (content_type or f"multipart/form-data; boundary={BOUNDARY}").encode())]
    if content_length is not None:
        headers.append((b"content-length", str(len(body) if content_length == -1 else content_length).encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/bewijs",
        "raw_path": b"/bewijs",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    return Request(scope, client.receive)


def run(fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    return anyio.run(partial(fn, *args, **kwargs))


def read(request: Request, spool_dir: Path, **limits: int) -> tuple[dict[str, list[str]], list[Any]]:
    options: dict[str, int] = {"max_file_bytes": MiB, "max_files": 5} | limits
    result: tuple[dict[str, list[str]], list[Any]] = run(read_multipart, request, spool_dir=spool_dir, **options)
    return result


def test_read_multipart_streams_fields_and_files_into_spools(tmp_path: Path) -> None:
    photo = random.Random(3).randbytes(300_000)
    body = multipart_body(
        [
            ("title", "Gesprek met cliënt"),
            ("eindterm", "1.2"),
            ("eindterm", "3.4"),
            ("reflectie", "Regel 1\r\nRegel 2"),
        ],
        [
            ("files", 'verslag "def".pdf', b"%PDF-1.4 inhoud", "application/pdf"),
            ("files", "cliënt foto.jpg", photo, "image/jpeg"),
            ("files", "", b"", "application/octet-stream"),  # an empty file input: ignored
            ("files", "leeg.txt", b"", "text/plain"),  # an empty file that has a name: kept (and refused later)
        ],
    )
    fields, files = read(make_request(body), tmp_path)
    assert fields == {
        "title": ["Gesprek met cliënt"],
        "eindterm": ["1.2", "3.4"],
        "reflectie": ["Regel 1\r\nRegel 2"],
    }
    assert [(f.original_name, f.field_name, f.declared_content_type, f.size) for f in files] == [
        ("verslag %22def%22.pdf", "files", "application/pdf", 15),
        ("cliënt foto.jpg", "files", "image/jpeg", 300_000),
        ("leeg.txt", "files", "text/plain", 0),
    ]
    assert files[1].path.read_bytes() == photo
    assert files[1].sha256 == hashlib.sha256(photo).hexdigest()
    assert files[1].head == photo[:8192]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.path.name for f in files)
    for f in files:
        f.discard()
    assert list(tmp_path.iterdir()) == []


def test_read_multipart_with_one_big_chunk_and_without_content_length(tmp_path: Path) -> None:
    body = multipart_body([("a", "b")], [("f", "x.txt", b"hallo" * 1000, "text/plain")])
    fields, files = read(make_request(body, Client(body, chunk=len(body)), content_length=None), tmp_path)
    assert fields == {"a": ["b"]} and files[0].path.read_bytes() == b"hallo" * 1000
    files[0].discard()


@pytest.mark.parametrize("chunk", [1, 64, 65536])
def test_a_file_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path, chunk: int) -> None:
    body = multipart_body(
        [("title", "x")],
        [("files", "ok.pdf", b"%PDF-1.4", "application/pdf"), ("files", "groot.mp4", b"v" * 1001, "video/mp4")],
    )
    with pytest.raises(FileTooLarge) as caught:
        read(make_request(body, Client(body, chunk=chunk)), tmp_path, max_file_bytes=1000)
    assert caught.value.message == "Het bestand groot.mp4 is groter dan 1000 bytes."
    assert list(tmp_path.iterdir()) == []


def test_exactly_the_limit_is_fine(tmp_path: Path) -> None:
    body = multipart_body([], [("files", "precies.bin", b"v" * 1000, "video/mp4")])
    _, files = read(make_request(body), tmp_path, max_file_bytes=1000)
    assert files[0].size == 1000
    files[0].discard()


def test_too_many_files(tmp_path: Path) -> None:
    body = multipart_body([], [("files", f"{i}.txt", b"tekst", "text/plain") for i in range(3)])
    with pytest.raises(TooManyFiles) as caught:
        read(make_request(body), tmp_path, max_files=2)
    assert caught.value.message == "U kunt maximaal 2 bestanden tegelijk uploaden."
    assert list(tmp_path.iterdir()) == []


def test_field_limits(tmp_path: Path) -> None:
    body = multipart_body([("reflectie", "x" * 101)], [("files", "a.txt", b"a", "text/plain")])
    with pytest.raises(UploadRefused, match="Het veld reflectie is te lang"):
        read(make_request(body), tmp_path, max_field_bytes=100)
    body = multipart_body([(f"v{i}", "x") for i in range(4)], [("files", "a.txt", b"a", "text/plain")])
    with pytest.raises(UploadRefused, match="te veel velden"):
        read(make_request(body), tmp_path, max_fields=3)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["disconnect", "raise"])
def test_a_client_that_goes_away_leaves_nothing_behind(tmp_path: Path, how: str) -> None:
    body = multipart_body([("a", "b")], [("files", f"{i}.bin", b"z" * 5000, "application/pdf") for i in range(3)])
    chunks = len(body) // 100
    client = Client(body, chunk=100, **{"disconnect_after" if how == "disconnect" else "raise_after": chunks * 2 // 3})
    with pytest.raises(ClientDisconnect):
        read(make_request(body, client), tmp_path)
    assert client.sent > 100, "two files were complete and one half-written before the client left"
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_read_leaves_nothing_behind(tmp_path: Path) -> None:
    body = multipart_body([], [("files", f"{i}.bin", b"z" * 5000, "application/pdf") for i in range(3)])

    async def main() -> None:
        with anyio.move_on_after(0.2) as scope:
            await read_multipart(
                make_request(body, Client(body, chunk=100, hang_after=120)),
                spool_dir=tmp_path,
                max_file_bytes=MiB,
                max_files=5,
            )
        assert scope.cancelled_caught

    anyio.run(main)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "body",
    [
        multipart_body([], [("files", "a.pdf", b"%PDF" * 100, "application/pdf")])[:-200],  # cut off mid-file
        multipart_body([("a", "b")], [])[:-4],  # no closing boundary
        b"dit is geen multipart",
        b"--"
        + BOUNDARY.encode()
        + b"\r\nContent-Type: text/plain\r\n\r\nzonder naam\r\n--"
        + BOUNDARY.encode()
        + b"--",
    ],
    ids=["truncated", "unterminated", "garbage", "no-disposition"],
)
def test_malformed_bodies_are_refused_and_leave_nothing(tmp_path: Path, body: bytes) -> None:
    with pytest.raises(MalformedUpload) as caught:
        read(make_request(body), tmp_path)
    assert caught.value.status_code == 400 and caught.value.message.startswith("Het formulier is niet")
    assert list(tmp_path.iterdir()) == []


def test_content_length_over_the_budget_is_refused_before_reading(tmp_path: Path) -> None:
    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    request = make_request(b"", content_length=2 * MiB + MiB + 1)
    request._receive = receive
    with pytest.raises(UploadRefused) as caught:
        read(request, tmp_path, max_file_bytes=MiB, max_files=2)
    assert caught.value.status_code == 413
    assert caught.value.message == "De upload is te groot (maximaal 2 bestanden van elk 1 MB)."


def test_a_body_longer_than_announced_or_unannounced_is_counted(tmp_path: Path) -> None:
    # 30 fields of 60 kB: each within the field limit, together far over 1 MiB + 5 x 100 bytes.
    body = multipart_body(
        [(f"veld{i}", "x" * 60_000) for i in range(30)], [("files", "a.bin", b"a" * 50, "application/pdf")]
    )
    for content_length in (None, 1000):
        with pytest.raises(UploadRefused, match="te groot"):
            client = Client(body, chunk=65536)
            read(make_request(body, client, content_length=content_length), tmp_path, max_file_bytes=100)
        assert client.sent < len(client.chunks)
    assert list(tmp_path.iterdir()) == []


def test_only_multipart_form_data_is_read(tmp_path: Path) -> None:
    with pytest.raises(UploadRefused) as caught:
        read(make_request(b"a=b", content_type="application/x-www-form-urlencoded"), tmp_path)
    assert caught.value.status_code == 415
    with pytest.raises(MalformedUpload):
        read(make_request(b"", content_type="multipart/form-data"), tmp_path)  # no boundary
