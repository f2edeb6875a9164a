"""Backup and restore: a round trip into an empty database and storage ends with the same rows, the same blobs and
a valid audit chain, and a person erased after the backup is erased again; restore refuses what it must not touch.
"""

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.accounts.models import User
from app.audit.verify import verify_chain
from app.config import Settings
from app.db import make_engine
from app.ops.backup import BLOB_DIR, MANIFEST, make_backup
from app.ops.restore import RestoreError, restore_backup
from app.privacy import erasure, ledger
from app.signoff import service as signoff
from app.storage import Storage, storage_from_settings
from tests.conftest import World, scratch_database
from tests.test_retention import evidence_with_file

REASON = "Verzoek van de betrokkene (AVG art. 17), ontvangen per brief."


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    if request.param == "local":
        return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}
    return {"storage_backend": "s3", "storage_dir": tmp_path / "spool", **request.getfixturevalue("s3_server")}


@pytest.fixture
def target(app: FastAPI, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty second database (same dialect) and an empty second storage (fresh bucket); the
    erasure ledger is the first installation's: it lives outside both and is what survives a wipe."""
    source: Settings = app.state.settings
    url = make_url(source.database_url)
    changes: dict[str, Any] = {"erasure_ledger_dir": source.erasure_ledger_path}
    if source.storage_backend == "s3":
        import boto3

        bucket = f"restored-{uuid.uuid4().hex[:16]}"  # a new bucket on the same server
        boto3.client(
            "s3",
            endpoint_url=source.s3_endpoint_url,
            region_name=source.s3_region,
            aws_access_key_id=source.s3_access_key,
            aws_secret_access_key=source.s3_secret_key,
        ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": source.s3_region})
        changes |= {"s3_bucket": bucket, "storage_dir": tmp_path / "restored-spool"}
    else:
        changes["storage_dir"] = tmp_path / "restored-storage"
    if url.get_backend_name() == "sqlite":
        changes["database_url"] = f"sqlite:///{tmp_path / 'restored.db'}"
        yield source.model_copy(update=changes)
        return
    with scratch_database(source.database_url, "restore") as restored:
        changes["database_url"] = restored
        yield source.model_copy(update=changes)


def stored(storage: Storage) -> dict[str, str]:
    return {
        info.key: hashlib.sha256(b"".join(storage.open_chunks(info.key))).hexdigest() for info in storage.iter_blobs()
    }


def counts(database_url: str) -> dict[str, int]:
    from app.ops.backup import database_facts

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return dict(database_facts(conn)["tables"])
    finally:
        engine.dispose()


def some_records(app: FastAPI, db: Session, world: World) -> None:
    """Evidence with files for two students and a sign-off (a row bound into the audit chain)."""
    evidence_with_file(app, db, world.student)
    evidence_with_file(app, db, world.other_student)
    submission = db.exec(select(signoff.Submission)).first()
    assert submission is not None
    decider = signoff.Decider(
        user_id=world.supervisor.id or 0, name=world.supervisor.name, email=world.supervisor.email
    )
    signoff.decide(db, decider=decider, submission_id=submission.id or 0, decision="afgetekend", comment="Goed.")
    db.commit()


def erase(app: FastAPI, db: Session, world: World, user: User) -> None:
    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=user.id or 0,
        reason=REASON,
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()


def test_backup_wipe_restore_round_trip_reapplies_a_later_erasure(
    app: FastAPI, db: Session, world: World, target: Settings, tmp_path: Path
) -> None:
    some_records(app, db, world)
    erase(app, db, world, world.bystander)  # before the backup: in the backup and in the ledger
    source: Settings = app.state.settings
    blobs_then, rows_then = stored(app.state.storage), counts(source.database_url)
    daan, lotte = (world.other_student.id, world.other_student.name), (world.student.id, world.student.name)
    assert len(blobs_then) == 2

    manifest = make_backup(settings=source, storage=app.state.storage, dest=tmp_path / "backup")
    assert manifest["database"]["tables"] == rows_then
    assert {key: blob["sha256"] for key, blob in manifest["blobs"].items()} == blobs_then
    assert manifest["audit"]["events"] == rows_then["audit_event"] == manifest["audit"]["length"]
    assert [entry["user_id"] for entry in manifest["erasure_ledger"]] == [world.bystander.id]

    # After the backup: Daan is erased (his file goes); then the installation is lost.
    erase(app, db, world, world.other_student)
    assert len(stored(app.state.storage)) == 1

    restored_storage = storage_from_settings(target)
    report = restore_backup(settings=target, storage=restored_storage, src=tmp_path / "backup")

    assert report.ok, report.problems
    assert report.tables_checked == len(rows_then) and report.blobs_verified == 2
    assert report.erased_again == [daan[0]]
    engine = make_engine(target.database_url)
    try:
        with Session(engine) as session:
            erased = session.get(User, daan[0])
            assert erased is not None and erased.erased_at is not None and erased.name != daan[1]
            kept = session.get(User, lotte[0])
            assert kept is not None and kept.erased_at is None and kept.name == lotte[1]
            assert verify_chain(session).ok
    finally:
        engine.dispose()
    # Every blob of the backup came back with its hash, except the erased person's file.
    after = stored(restored_storage)
    assert after == {key: sha for key, sha in blobs_then.items() if key in after} and len(after) == 1
    # The erasure's rows: what the backup held plus what erasing Daan again wrote, nothing else.
    restored_rows = counts(target.database_url)
    assert restored_rows["user_account"] == rows_then["user_account"]
    assert restored_rows["audit_event"] == rows_then["audit_event"] + 1


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)
def test_restore_refuses_a_target_that_is_not_empty(
    app: FastAPI, db: Session, world: World, target: Settings, tmp_path: Path
) -> None:
    some_records(app, db, world)
    make_backup(settings=app.state.settings, storage=app.state.storage, dest=tmp_path / "backup")
    with pytest.raises(RestoreError, match="database is niet leeg"):
        restore_backup(settings=app.state.settings, storage=storage_from_settings(target), src=tmp_path / "backup")
    # An empty database but a storage that holds files is refused too, before anything is written.
    with pytest.raises(RestoreError, match="opslag is niet leeg"):
        restore_backup(settings=target, storage=app.state.storage, src=tmp_path / "backup")
    assert counts(target.database_url) == {} or not any(counts(target.database_url).values())


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)
def test_restore_refuses_a_backup_without_manifest(
    app: FastAPI, db: Session, world: World, target: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_records(app, db, world)
    # A backup that fails while copying the blobs is left without a manifest.
    from app.ops import backup

    def broken(*_args: Any) -> None:
        raise OSError("schijf vol")

    with monkeypatch.context() as patch:
        patch.setattr(backup, "_copy_blobs", broken)
        with pytest.raises(OSError, match="schijf vol"):
            make_backup(settings=app.state.settings, storage=app.state.storage, dest=tmp_path / "half")
    assert (tmp_path / "half" / "database.sqlite").exists() or (tmp_path / "half" / "database.dump").exists()
    assert not (tmp_path / "half" / MANIFEST).exists()
    with pytest.raises(RestoreError, match=r"geen manifest\.json"):
        restore_backup(settings=target, storage=storage_from_settings(target), src=tmp_path / "half")
    assert not any(counts(target.database_url).values())


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)
def test_a_tampered_blob_is_reported_and_the_command_fails(
    app: FastAPI, db: Session, world: World, target: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_records(app, db, world)
    manifest = make_backup(settings=app.state.settings, storage=app.state.storage, dest=tmp_path / "backup")
    key = sorted(manifest["blobs"])[0]
    blob = tmp_path / "backup" / BLOB_DIR / key
    blob.write_bytes(blob.read_bytes().replace(b"%PDF", b"%PDX", 1))

    from app import cli

    monkeypatch.setattr(cli, "get_settings", lambda: target)
    monkeypatch.setattr("app.config.get_settings", lambda: target)
    result = CliRunner().invoke(cli.cli, ["restore", str(tmp_path / "backup")])
    assert result.exit_code == 1, result.output
    assert f"FOUT Bestand {key}: SHA-256" in result.output
    assert "Auditketen in orde" in result.output  # the rest was restored and checks out


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)
def test_the_ledger_holds_no_personal_data_and_a_forged_entry_is_refused(
    app: FastAPI, db: Session, world: World
) -> None:
    settings: Settings = app.state.settings
    erase(app, db, world, world.other_student)
    path = ledger.ledger_file(settings)
    line = path.read_text(encoding="utf-8")
    assert world.other_student.name not in line and world.other_student.email not in line
    assert "daan" not in line.lower() and set(json.loads(line)) == {"user_id", "account_created", "erased_at", "mac"}
    assert [entry.user_id for entry in ledger.read_ledger(settings).entries] == [world.other_student.id]
    forged = dict(json.loads(line), user_id=world.student.id)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(forged) + "\n")
    reading = ledger.read_ledger(settings)
    assert [entry.user_id for entry in reading.entries] == [world.other_student.id]
    assert len(reading.invalid) == 1 and "klopt niet met de sleutel" in reading.invalid[0]
    # The ledger is not the database's or the storage's: a wipe of either leaves it.
    assert os.path.commonpath([path, settings.storage_dir]) != str(settings.storage_dir)


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)
def test_cli_backup_writes_the_manifest_last(
    app: FastAPI, db: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import cli

    some_records(app, db, world)
    monkeypatch.setattr(cli, "get_settings", lambda: app.state.settings)
    result = CliRunner().invoke(cli.cli, ["backup", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / MANIFEST).read_text())
    assert manifest["database"]["alembic_revision"] and len(manifest["blobs"]) == 2
    assert sorted(os.listdir(tmp_path / "b" / BLOB_DIR)) == sorted(manifest["blobs"])
    again = CliRunner().invoke(cli.cli, ["backup", str(tmp_path / "b")])
    assert again.exit_code == 1 and "niet leeg" in again.output
