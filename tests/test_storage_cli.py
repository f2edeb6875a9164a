"""`portfolio storage check`: compares the blob store with the database. Orphans are reported and removed only
with --remove (and only once older than the grace period); missing blobs and checksum mismatches need a person,
so they are reported with exit code 1 and never removed."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from app import migrate
from app.accounts import service as accounts
from app.accounts.models import Role
from app.cli import cli
from app.config import get_settings
from app.db import make_engine
from app.evidence.models import Blob
from app.storage import LocalStorage, new_key

PDF = b"%PDF-1.4\n% een verslag\n%%EOF\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """A migrated SQLite file with one student, local storage in tmp_path; settings are cached per process."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    storage_dir = tmp_path / "storage"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    monkeypatch.setenv("STORAGE_DIR", str(storage_dir))
    get_settings.cache_clear()
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        student = accounts.create_user(session, email="cli@student.nl", name="Cas Cli", roles={Role.student})
        session.commit()
        student_id = student.id or 0
    try:
        yield SimpleNamespace(
            engine=engine, storage=LocalStorage(storage_dir), student_id=student_id, tmp_path=tmp_path
        )
    finally:
        engine.dispose()
        get_settings.cache_clear()


def publish(env: SimpleNamespace, data: bytes = PDF) -> str:
    """A file published the way uploads are: spooled, then moved under a fresh server key."""
    key = new_key()
    part = env.storage.spool_dir() / f"{key}.part"
    part.write_bytes(data)
    env.storage.publish(part, key=key, content_type="application/pdf")
    return key


def add_row(env: SimpleNamespace, key: str, data: bytes = PDF, sha256: str | None = None) -> None:
    with Session(env.engine) as session:
        session.add(
            Blob(
                key=key,
                student_id=env.student_id,
                original_name="verslag.pdf",
                download_name="verslag.pdf",
                kind="pdf",
                content_type="application/pdf",
                size=len(data),
                sha256=sha256 or hashlib.sha256(data).hexdigest(),
            )
        )
        session.commit()


def check(*args: str) -> tuple[int, str, dict[str, int]]:
    result = CliRunner().invoke(cli, ["storage", "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    counts = {label.strip(): int(n) for label, n in re.findall(r"^(\S[^\n]*?) +(\d+)$", result.output, re.M)}
    return result.exit_code, result.output, counts


def make_old(path: Path, seconds: int = 3 * 3600) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_consistent_store_is_ok(env: SimpleNamespace) -> None:
    key = publish(env)
    add_row(env, key)
    code, output, counts = check()
    assert code == 0, output
    assert counts["gecontroleerd"] == 1 and counts["checksum klopt"] == 1
    assert counts["verweesd"] == 0 and counts["ontbreekt in de opslag"] == 0 and counts["checksum wijkt af"] == 0
    assert "ONTBREEKT" not in output and "CHECKSUM" not in output


def test_an_orphan_is_reported_and_removed_only_with_remove_and_after_the_grace(env: SimpleNamespace) -> None:
    kept = publish(env)
    add_row(env, kept)
    orphan = publish(env)  # published, but the row was never committed (a crash in between)

    code, output, counts = check()  # default grace: a fresh blob may belong to an upload being saved now
    assert code == 0, output
    assert counts["verweesd"] == 0 and counts["onbekend maar recent (bewaard)"] == 1
    assert env.storage.exists(orphan)

    code, output, counts = check("--remove")  # still within the grace: kept
    assert code == 0 and counts["verweesd verwijderd"] == 0, output
    assert env.storage.exists(orphan)

    code, output, counts = check("--grace-minutes", "0")  # reported, but without --remove nothing is deleted
    assert code == 0, output
    assert counts["verweesd"] == 1 and counts["verweesd verwijderd"] == 0
    assert env.storage.exists(orphan)

    code, output, counts = check("--remove", "--grace-minutes", "0")
    assert code == 0, output
    assert counts["verweesd"] == 1 and counts["verweesd verwijderd"] == 1
    assert not env.storage.exists(orphan)
    assert env.storage.exists(kept), "a blob with a row is never removed"
    assert [b.key for b in env.storage.iter_blobs()] == [kept]

    code, output, counts = check("--remove", "--grace-minutes", "0")
    assert code == 0 and counts["verweesd"] == 0 and counts["checksum klopt"] == 1, output


def test_an_old_orphan_and_a_stale_temp_file_are_removed_with_the_default_grace(env: SimpleNamespace) -> None:
    orphan = publish(env)
    make_old(env.storage.path_for(orphan))
    stale = env.storage.spool_dir() / "tmpabc123.part"
    stale.write_bytes(b"half an upload")
    make_old(stale)
    fresh = env.storage.spool_dir() / "tmpdef456.part"  # an upload in progress right now
    fresh.write_bytes(b"still coming")

    code, output, counts = check()
    assert code == 0, output
    assert counts["verweesd"] == 1 and counts["achtergebleven uploads"] == 1
    assert env.storage.exists(orphan) and stale.exists()

    code, output, counts = check("--remove")
    assert code == 0, output
    assert counts["verweesd verwijderd"] == 1 and counts["achtergebleven uploads verwijderd"] == 1
    assert not env.storage.exists(orphan) and not stale.exists()
    assert fresh.exists(), "an upload in progress is left alone"


def test_a_missing_blob_is_reported_with_exit_code_1_and_never_removed(env: SimpleNamespace) -> None:
    present = publish(env)
    add_row(env, present)
    missing = new_key()
    add_row(env, missing)  # a row whose file is gone
    for args in ((), ("--remove", "--grace-minutes", "0")):
        code, output, counts = check(*args)
        assert code == 1, output
        assert f"ONTBREEKT {missing}" in output
        assert present not in output.replace(f"ONTBREEKT {missing}", "")
        assert counts["ontbreekt in de opslag"] == 1 and counts["checksum klopt"] == 1
    assert env.storage.exists(present)


def test_a_checksum_mismatch_is_reported_with_exit_code_1_and_kept(env: SimpleNamespace) -> None:
    good = publish(env)
    add_row(env, good)
    bad = publish(env, b"%PDF-1.4\n% later overschreven\n%%EOF\n")
    add_row(env, bad, sha256=hashlib.sha256(b"the original content").hexdigest())
    for args in ((), ("--remove", "--grace-minutes", "0")):
        code, output, counts = check(*args)
        assert code == 1, output
        assert f"CHECKSUM {bad}" in output and f"CHECKSUM {good}" not in output
        assert counts["checksum wijkt af"] == 1 and counts["checksum klopt"] == 1
        assert counts["ontbreekt in de opslag"] == 0
    assert env.storage.exists(bad) and env.storage.exists(good)


def test_a_file_changed_on_disk_after_upload_is_a_mismatch(env: SimpleNamespace) -> None:
    key = publish(env)
    add_row(env, key)
    assert check()[0] == 0
    env.storage.path_for(key).write_bytes(PDF + b"% gewijzigd\n")
    code, output, counts = check()
    assert code == 1 and f"CHECKSUM {key}" in output and counts["checksum wijkt af"] == 1, output
