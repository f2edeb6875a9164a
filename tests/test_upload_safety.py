"""Upload safety through the real endpoint POST /bewijs: the hostile corpus is refused or its name neutralised,
file responses never render as our page, aborted uploads leave nothing visible (client gone, a crash after
publishing, a killed server process), and a too-large request is refused before its body is read.

Runs with local storage and with S3 (moto's server on loopback); the killed-process test uses local storage."""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from app import migrate
from app.accounts import service as accounts
from app.accounts.models import Role
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment
from app.config import ROOT
from app.db import make_engine
from app.evidence import saving as evidence_service  # save_evidence records its audit row there
from app.evidence.filetypes import MIME_BY_KIND
from app.evidence.models import Blob, Evidence, EvidenceFile, EvidenceVersion
from app.storage import LocalStorage, S3Storage, Storage, check_storage
from app.web import CSRF_COOKIE
from tests.conftest import PASSWORD, Browser, World, csrf_token, login, page_csrf
from tests.hostile import (
    hostile_corpus,
    make_jpeg,
    make_mp3,
    make_odf,
    make_ooxml,
    make_pdf,
    make_png,
    make_text,
    make_wav,
    make_webp,
)

KEY = re.compile(r"[0-9a-f]{32}")
INLINE = {"jpeg", "png", "webp", "pdf"}
LIMIT = 1024 * 1024  # per file while the corpus runs: above the zip bomb (~300 KiB), so that is refused by content
DUTCH_REFUSAL = re.compile(
    r"niet toegestaan \(herkend als|Het bestand is leeg|mogelijk een zip-bom|virus-testhandtekening|bevat macro's"
)
CONTENT_DISPOSITION = re.compile(r"(attachment|inline); filename=\"([ -~]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)")


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    if request.param == "local":
        return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}
    s3 = request.getfixturevalue("s3_server")
    return {"storage_backend": "s3", "storage_dir": tmp_path / "spool", **s3}


# --- helpers -----------------------------------------------------------------------------------------------


FIELDS: list[tuple[str, str]] = [
    ("title", "Intakegesprek met cliënt A"),
    ("activity_date", "2026-03-02"),
    ("kind", "verslag"),
    ("reflection", "S: intake op de werkplek. R: cliënt nam zelf de regie."),
    ("links", ""),
    ("privacy", "ja"),
    ("eindterm", "IA-a"),
    ("onderbouwing_IA-a", "Ik voerde de intake uit binnen de kaders van de opdrachtgever."),
]


def browser_filename(name: str) -> bytes:
    """The filename parameter as browsers send it (HTML spec): only LF, CR and '"' are percent-encoded; all else,
    NUL, bidi controls and backslashes included, goes as raw UTF-8."""
    escaped = name.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")
    return escaped.encode("utf-8")


def multipart(
    files: list[tuple[str, bytes]],
    fields: list[tuple[str, str]] = FIELDS,
    content_type: str = "application/octet-stream",
) -> tuple[bytes, str]:
    """A multipart/form-data body (built by hand, so any filename is sent as a hostile client would)."""
    boundary = f"----pfgrens{uuid.uuid4().hex}"
    out = bytearray()
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for filename, data in files:
        out += f"--{boundary}\r\n".encode()
        out += b'Content-Disposition: form-data; name="files"; filename="' + browser_filename(filename) + b'"\r\n'
        out += f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def post_files(client: Browser, files: list[tuple[str, bytes]]) -> httpx.Response:
    body, content_type = multipart(files)
    return client.post("/bewijs", content=body, headers={"Content-Type": content_type})


def storage_of(app: FastAPI) -> Storage:
    storage: Storage = app.state.storage
    return storage


def raw_names(storage: Storage) -> list[str]:
    """Every name the store holds, unfiltered (iter_blobs skips what is not well-formed, so it cannot tell)."""
    if isinstance(storage, S3Storage):
        names = []
        paginator = storage.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=storage.bucket):
            names += [obj["Key"] for obj in page.get("Contents", [])]
        return names
    assert isinstance(storage, LocalStorage)
    return [
        str(Path(dirpath, name).relative_to(storage.root))
        for dirpath, _, filenames in os.walk(storage.root)
        for name in filenames
    ]


def assert_only_server_keys(storage: Storage) -> list[str]:
    """All stored objects sit under a server-generated key, in the right place; nothing is in the spool."""
    keys = []
    for name in raw_names(storage):
        if isinstance(storage, LocalStorage):
            parts = Path(name).parts
            assert parts[0] != ".incoming", f"left in the spool: {name!r}"
            assert len(parts) == 3 and KEY.fullmatch(parts[2]), f"not a server key: {name!r}"
            assert parts[0] == parts[2][:2] and parts[1] == parts[2][2:4], name
            keys.append(parts[2])
        else:
            assert KEY.fullmatch(name), f"not a server key: {name!r}"
            keys.append(name)
    assert list(storage.spool_dir().iterdir()) == []
    return sorted(keys)


def name_tokens(filename: str) -> set[str]:
    """The parts of a user's filename that could show up in a path (hex-only parts could be in any key)."""
    return {t.lower() for t in re.split(r"[\W_]+", filename) if len(t) >= 3 and not re.fullmatch(r"[0-9a-fA-F]+", t)}


def assert_name_not_in_tree(storage: Storage, filename: str) -> None:
    tokens = name_tokens(filename)
    root = storage.root if isinstance(storage, LocalStorage) else storage.spool_dir()
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in dirnames + filenames:
            if entry == ".incoming":
                continue  # the server's own spool directory
            assert not any(t in entry.lower() for t in tokens), (filename, Path(dirpath, entry))
    for name in raw_names(storage):
        assert not any(t in name.lower() for t in tokens), (filename, name)


def files_error(response: httpx.Response) -> str:
    match = re.search(r'<p class="field-error" id="files-fout"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, response.text[:2000]
    return html.unescape(match.group(1)).strip()


def new_evidence_blobs(db: Session, response: httpx.Response) -> list[Blob]:
    assert response.status_code == 303, response.text[:2000]
    evidence_id = int(response.headers["location"].rsplit("/", 1)[1])
    db.expire_all()
    return list(
        db.exec(
            select(Blob)
            .join(EvidenceFile, EvidenceFile.blob_id == Blob.id)
            .join(EvidenceVersion, EvidenceVersion.id == EvidenceFile.version_id)
            .where(EvidenceVersion.evidence_id == evidence_id)
        ).all()
    )


def counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return tuple(  # type: ignore[return-value]
        db.exec(select(func.count()).select_from(model)).one() for model in (Evidence, EvidenceVersion, Blob)
    )


def assert_safe_file_responses(client: Browser, blob: Blob, data: bytes) -> None:
    download = client.get(f"/bestanden/{blob.id}")
    assert download.status_code == 200
    assert download.content == data
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; "), disposition
    assert download.headers["content-type"] == MIME_BY_KIND[blob.kind] or blob.kind == "text"
    preview = client.get(f"/bestanden/{blob.id}/voorbeeld")
    assert preview.status_code == 200
    expected = "inline; " if blob.kind in INLINE else "attachment; "
    assert preview.headers["content-disposition"].startswith(expected), (blob.kind, preview.headers)
    for response in (download, preview):
        assert response.headers["content-security-policy"] == "sandbox"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        if blob.kind == "text":
            assert response.headers["content-type"].startswith("text/plain; charset=")
        for name, value in response.headers.raw:
            assert b"\r" not in value and b"\n" not in value, (name, value)


# --- 1. the hostile corpus through the endpoint ----------------------------------------------------------


def test_the_hostile_corpus_through_the_endpoint(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    app.state.settings.upload_max_bytes = LIMIT
    storage = storage_of(app)
    login(client, world.student.email)
    corpus = hostile_corpus(LIMIT)
    assert len(corpus) >= 20
    seen = {"refuse": 0, "name": 0, "size": 0}
    for item in corpus:
        before = counts(db)
        keys_before = assert_only_server_keys(storage)
        response = post_files(client, [(item.name, item.data)])
        seen[item.expect] += 1
        if item.expect == "refuse":
            assert response.status_code == 422, (item.why, response.status_code)
            reason = files_error(response)
            assert DUTCH_REFUSAL.search(reason), (item.why, reason)
            assert item.label and item.label in reason, (item.why, reason)
        elif item.expect == "size":
            assert response.status_code == 413, (item.why, response.status_code)
            assert "is groter dan 1 MB" in html.unescape(response.text), item.why
        if item.expect != "name":
            assert counts(db) == before, item.why
            assert assert_only_server_keys(storage) == keys_before, item.why
            continue
        (blob,) = new_evidence_blobs(db, response)
        assert blob.kind == item.kind, item.why
        assert KEY.fullmatch(blob.key), item.why
        assert assert_only_server_keys(storage) == sorted([*keys_before, blob.key]), item.why
        assert_name_not_in_tree(storage, item.name)
        assert_download_name_is_harmless(blob.download_name, item.kind or "")
        assert_safe_file_responses(client, blob, item.data)
    assert seen["refuse"] >= 20 and seen["name"] >= 8 and seen["size"] == 1


def assert_download_name_is_harmless(name: str, kind: str) -> None:
    assert 0 < len(name) <= 120, name
    assert "/" not in name and "\\" not in name and not name.startswith("."), name
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name), repr(name)
    assert not any(ch in name for ch in '<>:"|?*'), name
    assert name.lower().endswith({"png": ".png", "text": ".txt"}.get(kind, "." + kind)), name


GOOD_FILES: list[tuple[str, str, bytes]] = [
    ("verslag.docx", "docx", make_ooxml("docx")),
    ("cijfers.xlsx", "xlsx", make_ooxml("xlsx")),
    ("presentatie.pptx", "pptx", make_ooxml("pptx")),
    ("verslag.odt", "odt", make_odf("odt")),
    ("rekenblad.ods", "ods", make_odf("ods")),
    ("dia's.odp", "odp", make_odf("odp")),
    ("verslag.pdf", "pdf", make_pdf()),
    ("foto.jpg", "jpeg", make_jpeg()),
    ("foto.png", "png", make_png()),
    ("foto.webp", "webp", make_webp()),
    ("notitie.txt", "text", make_text()),
    ("opname.wav", "wav", make_wav()),
    ("opname.mp3", "mp3", make_mp3()),
]


def test_real_files_are_accepted_and_only_images_and_pdf_preview_inline(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    storage = storage_of(app)
    login(client, world.student.email)
    for name, kind, data in GOOD_FILES:
        response = post_files(client, [(name, data)])
        (blob,) = new_evidence_blobs(db, response)
        assert blob.kind == kind and blob.original_name == name and blob.size == len(data)
        assert blob.key in assert_only_server_keys(storage)
        assert_safe_file_responses(client, blob, data)


# --- 2. any filename: the download header stays one safe header ------------------------------------------

NASTY_CHARS = list("\r\n\t\x00\x1b\x7f\"\\/;=%*'<>:|?. \u202e\u2066\u2069\u200f\u200b\u0085\u2028\ufeffé€😀")
# Any Unicode a client can encode (lone surrogates cannot travel in UTF-8), plus the nastiest characters.
filenames = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(NASTY_CHARS)), max_size=80
)


@given(name=filenames, as_text=st.booleans())
@example(name="evil.txt\x00.png", as_text=False)
@example(name="rapport\r\nContent-Type: text/html\r\n\r\n.txt", as_text=True)
@example(name='x"; filename="y.html', as_text=True)
@example(name="\u202egnp.exe", as_text=False)
@example(name="..\\..\\C:\\boot.ini", as_text=True)
@example(name="", as_text=False)
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_filename_gives_a_single_safe_download_header(
    app: FastAPI, db: Session, world: World, client: Browser, name: str, as_text: bool
) -> None:
    # A header line cannot hold a raw CR or LF; browsers percent-encode those (see `browser_filename`).
    if not client.cookies.get(app.state.settings.session_cookie):
        login(client, world.student.email)
    data = make_text() if as_text else make_png()
    response = post_files(client, [(name, data)])
    (blob,) = new_evidence_blobs(db, response)
    assert KEY.fullmatch(blob.key)
    assert blob.key in assert_only_server_keys(storage_of(app))
    download = client.get(f"/bestanden/{blob.id}")
    assert download.status_code == 200 and download.content == data
    raw = [value for key, value in download.headers.raw if key.lower() == b"content-disposition"]
    assert len(raw) == 1
    assert b"\r" not in raw[0] and b"\n" not in raw[0]
    match = CONTENT_DISPOSITION.fullmatch(raw[0].decode("ascii"))
    assert match, raw[0]
    disposition, fallback, encoded = match.groups()
    assert disposition == "attachment"
    assert fallback and '"' not in fallback and "\\" not in fallback
    decoded = unquote(encoded, errors="strict")
    assert decoded == blob.download_name
    assert_download_name_is_harmless(decoded, "text" if as_text else "png")


# --- 3a. the client goes away mid-upload ---------------------------------------------------------------


def asgi_headers(client: Browser, app: FastAPI, content_type: str, content_length: int) -> list[tuple[bytes, bytes]]:
    token = csrf_token(client, app)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return [
        (b"host", b"testserver"),
        (b"cookie", cookies.encode()),
        (b"x-csrf-token", token.encode()),
        (b"content-type", content_type.encode()),
        (b"content-length", str(content_length).encode()),
    ]


def http_scope(headers: list[tuple[bytes, bytes]], path: str = "/bewijs") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def call_asgi(app: FastAPI, scope: dict[str, Any], receive: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def main() -> None:
        await asyncio.wait_for(app(scope, receive, send), timeout=20)

    asyncio.run(main())
    return sent


def test_a_client_that_disconnects_mid_upload_leaves_nothing(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    storage = storage_of(app)
    login(client, world.student.email)
    big = make_text() * 8000  # ~700 KiB: written to a temp file before the client goes away
    body, content_type = multipart([("verslag.txt", big)])
    cut = len(body) // 2
    chunks = [body[i : i + 64 * 1024] for i in range(0, cut, 64 * 1024)]
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    spooled_while_uploading: list[list[Path]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        spooled_while_uploading.append(list(storage.spool_dir().glob("*.part")))
        return {"type": "http.disconnect"}

    sent = call_asgi(app, http_scope(asgi_headers(client, app, content_type, len(body))), receive)
    assert spooled_while_uploading and len(spooled_while_uploading[0]) == 1, "the upload never reached the spool"
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert not starts or starts[0]["status"] == 400
    assert counts(db) == (0, 0, 0)
    assert assert_only_server_keys(storage) == []
    assert list(storage.spool_dir().iterdir()) == []
    assert storage_of(app).stale_temp_files(timedelta(0)) == []


# --- 3b. a crash after the file was published ---------------------------------------------------------------


def test_an_error_after_publish_commits_nothing_and_the_orphan_is_cleaned_up(
    app: FastAPI, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = storage_of(app)
    client = Browser(app, raise_server_exceptions=False, follow_redirects=False)
    client.app_ref = app
    with client:
        login(client, world.student.email)
        published: list[str] = []
        real_publish = storage.publish

        def publish(path: Path, *, key: str, content_type: str) -> None:
            real_publish(path, key=key, content_type=content_type)
            published.append(key)

        def boom(*args: object, **kwargs: object) -> None:
            raise RuntimeError("database weg")

        monkeypatch.setattr(storage, "publish", publish)
        monkeypatch.setattr(evidence_service, "audit", SimpleNamespace(record=boom))
        response = post_files(client, [("verslag.pdf", make_pdf()), ("foto.png", make_png())])
    assert response.status_code == 500
    assert counts(db) == (0, 0, 0)
    db.expire_all()
    assert db.exec(select(EvidenceFile)).all() == []
    # The files were published before the rows, so what is left is unreferenced blobs, never a row without a file.
    assert len(published) == 2
    assert assert_only_server_keys(storage) == sorted(published)
    report = check_storage(storage, known={}, remove=True, grace=timedelta(0))
    assert report.orphans == sorted(published) and report.orphans_removed == 2
    assert report.missing == [] and report.mismatches == []
    assert assert_only_server_keys(storage) == []
    assert not any(storage.exists(key) for key in published)


# --- 4. too large: refused before the body is read ---------------------------------------------------------


def test_a_request_over_the_budget_is_refused_before_its_body_is_read(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    app.state.settings.upload_max_bytes = 1000
    app.state.settings.upload_max_files = 1
    storage = storage_of(app)
    login(client, world.student.email)
    _, content_type = multipart([])
    consumed = 0

    async def receive() -> dict[str, Any]:
        nonlocal consumed
        consumed += 1
        if consumed > 200:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"a" * 65536, "more_body": True}

    announced = 50 * 1024 * 1024
    sent = call_asgi(app, http_scope(asgi_headers(client, app, content_type, announced)), receive)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()
    assert start["status"] == 413
    assert "De upload is te groot (maximaal 1 bestand van elk 1000 bytes)." in html.unescape(body)
    assert consumed <= 1
    assert counts(db) == (0, 0, 0)
    assert list(storage.spool_dir().iterdir()) == []


# --- 3c. the server process is killed mid-upload -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seeded_database(tmp_path: Path) -> tuple[str, str]:
    """A migrated SQLite file with one enrolled student; returns (url, email)."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            student = accounts.create_user(
                session, email="kill@student.nl", name="Kim Kill", roles={Role.student}, password=PASSWORD
            )
            programme = cohorts.create_programme(session, name="Jobcoach", coordinator_ids=[])
            cohort = Cohort(
                programme_id=programme.id or 0,
                name="2026-K",
                start_date=date(2026, 2, 1),
                framework_id="bvjn-eindtermen",
                framework_version="2012",
            )
            session.add(cohort)
            session.flush()
            session.add(Enrolment(cohort_id=cohort.id or 0, student_id=student.id or 0))
            session.commit()
    finally:
        engine.dispose()
    return url, "kill@student.nl"


def wait_until_up(base: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server stopped: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start in time")


@pytest.fixture
def killable_server(tmp_path: Path) -> Iterator[SimpleNamespace]:
    url, email = seeded_database(tmp_path)
    storage_dir = tmp_path / "server-storage"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "kill-test-secret",
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(storage_dir),
        "FRAMEWORK_DIR": str(ROOT / "eindtermen"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield SimpleNamespace(proc=proc, base=f"http://127.0.0.1:{port}", url=url, email=email, storage_dir=storage_dir)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stderr:
            print(proc.stderr.read().decode(errors="replace")[-3000:])  # shown when the test fails
            proc.stderr.close()


def log_in_over_http(http: httpx.Client, server: SimpleNamespace, deadline: float) -> str:
    """Log in as a browser would and return the upload form's CSRF token.

    Retried because the request's commit runs after its response was sent (see app/db.py:get_db): the next
    request can briefly miss the new session."""
    problems: list[object] = []
    while time.monotonic() < deadline:
        form_page = http.get("/bewijs/nieuw")
        if form_page.status_code == 200:
            return page_csrf(form_page.text)
        login_page = http.get("/login")
        if login_page.status_code == 200:
            data = {"email": server.email, "password": PASSWORD, "next": "/", "csrf_token": page_csrf(login_page.text)}
            logged_in = http.post("/login", data=data)
            if logged_in.status_code != 303:
                problems.append((logged_in.status_code, logged_in.text[:300]))
        time.sleep(0.1)
    raise AssertionError(f"could not log in: {problems}")


def test_a_server_killed_mid_upload_leaves_no_row_and_no_visible_blob(killable_server: SimpleNamespace) -> None:
    server = killable_server
    started = time.monotonic()
    wait_until_up(server.base, server.proc, started + 20)
    spool = server.storage_dir / ".incoming"
    with httpx.Client(base_url=server.base, timeout=5, follow_redirects=False) as http:
        token = log_in_over_http(http, server, deadline=started + 20)
        assert http.cookies.get(CSRF_COOKIE)

        body, content_type = multipart([("groot.txt", b"")])
        head, tail = body.rsplit(b"\r\n\r\n\r\n--", 1)  # the empty file's data goes between head and tail
        head += b"\r\n\r\n"
        stop = threading.Event()
        sent_bytes = 0

        def slow_body() -> Iterator[bytes]:
            nonlocal sent_bytes
            yield head
            line = b"Verslag van een lange dag op de werkplek, regel voor regel.\n" * 1024  # ~60 KiB
            while sent_bytes < 50 * 1024 * 1024 and not stop.is_set():
                yield line
                sent_bytes += len(line)
                time.sleep(0.005)
            yield b"\r\n--" + tail

        outcome: list[object] = []

        def upload() -> None:
            try:
                outcome.append(
                    http.post(
                        f"/bewijs?csrf_token={token}",
                        content=slow_body(),
                        headers={"Content-Type": content_type},
                        timeout=httpx.Timeout(5.0),
                    )
                )
            except Exception as exc:
                outcome.append(exc)

        thread = threading.Thread(target=upload, daemon=True)
        thread.start()
        try:
            # Wait until the server is writing the upload to its temp file, then kill it without warning.
            while time.monotonic() < started + 20:
                parts = list(spool.glob("*.part")) if spool.exists() else []
                if parts and parts[0].stat().st_size > 1024 * 1024:
                    break
                assert thread.is_alive(), outcome
                time.sleep(0.02)
            else:
                raise AssertionError("the upload never reached the server's spool")
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=5)
        finally:
            stop.set()
            thread.join(timeout=10)
    assert not thread.is_alive()
    assert sent_bytes < 50 * 1024 * 1024, "the upload finished before the kill"
    assert outcome and isinstance(outcome[0], httpx.TransportError), outcome

    engine = make_engine(server.url)
    try:
        with Session(engine) as session:
            for model in (Evidence, EvidenceVersion, EvidenceFile, Blob):
                assert session.exec(select(func.count()).select_from(model)).one() == 0, model
    finally:
        engine.dispose()
    storage = LocalStorage(server.storage_dir)
    assert list(storage.iter_blobs()) == []
    leftovers = [p.relative_to(server.storage_dir) for p in server.storage_dir.rglob("*") if p.is_file()]
    assert len(leftovers) <= 1
    assert all(p.parent == Path(".incoming") and p.suffix == ".part" for p in leftovers), leftovers

    report = check_storage(storage, known={}, remove=True, grace=timedelta(0))
    assert len(report.stale_temp_files) == len(leftovers) and report.temp_files_removed == len(leftovers)
    assert report.orphans == [] and report.missing == []
    assert [p for p in server.storage_dir.rglob("*") if p.is_file()] == []
    assert time.monotonic() - started < 30
