"""`portfolio backup DEST`: one consistent snapshot of the database, every stored blob, and a manifest.

The database is read in one snapshot: PostgreSQL through `pg_dump --snapshot` of a REPEATABLE READ transaction
that also counts the rows and reads the audit chain head (so the manifest describes exactly what was dumped);
SQLite through its online backup API, the counts read from the copy. The blobs are copied after the database:
a blob is published before the row that names it commits, so every blob the snapshot names is still there,
unless an erasure deleted it meanwhile, and that erasure is in the ledger, applied again on restore. The
manifest is written last (and atomically): a backup without one is unfinished, and `restore` refuses it.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url

from app.config import Settings
from app.db import make_engine, utcnow
from app.privacy import ledger
from app.storage import BlobNotFound, Storage
from app.storage.backends import DEFAULT_CHUNK

FORMAT = 1
MANIFEST = "manifest.json"
BLOB_DIR = "blobs"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite"
SKIPPED_TABLES = {"alembic_version"}  # its one row is the revision, recorded on its own


class BackupError(Exception):
    """The backup could not be made (the message is Dutch and says why)."""


def summary(manifest: dict[str, Any], *, dest: Path) -> str:
    """One line for `portfolio backup` to print."""
    tables = manifest["database"]["tables"]
    return (
        f"Back-up in {dest}: {sum(tables.values())} rijen in {len(tables)} tabellen, "
        f"{len(manifest['blobs'])} bestanden, auditketen {manifest['audit']['length']} regels."
    )


def make_backup(*, settings: Settings, storage: Storage, dest: Path) -> dict[str, Any]:
    """Write a backup into the new directory `dest` and return its manifest."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} bestaat al en is niet leeg: kies een nieuwe map voor de back-up.")
    (dest / BLOB_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(dest, 0o700)  # it holds everyone's personal data
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = _sqlite_snapshot(url, dest / SQLITE_FILE)
    else:
        database = _postgres_snapshot(url, dest / PG_DUMP_FILE)
    blobs, vanished = _copy_blobs(storage, dest / BLOB_DIR)
    entries = ledger.read_ledger(settings)
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "database": database,
        "storage": {"backend": type(storage).__name__},
        "blobs": blobs,
        "vanished_blobs": vanished,  # listed, then deleted (by an erasure or retention) before they were copied
        "audit": database.pop("audit"),
        "erasure_ledger": [entry.as_dict() for entry in entries.entries],
    }
    _write_atomically(dest / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
    return manifest


def database_facts(conn: Connection) -> dict[str, Any]:
    """Row count per table, the Alembic revision and the audit chain head, as this connection sees them."""
    tables = sorted(set(inspect(conn).get_table_names()) - SKIPPED_TABLES)
    counts = {name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one()) for name in tables}
    revision = None
    if "alembic_version" in inspect(conn).get_table_names():
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = None
    if "audit_chain_head" in counts:
        head = conn.execute(
            text("SELECT last_event_id, last_hash, row_count FROM audit_chain_head WHERE id = 1")
        ).first()
    audit = {
        "last_event_id": head.last_event_id if head else None,
        "last_hash": head.last_hash if head else "",
        "length": int(head.row_count or 0) if head else 0,
        "events": counts.get("audit_event", 0),
    }
    return {"alembic_revision": revision, "tables": counts, "audit": audit}


def _postgres_snapshot(url: URL, target: Path) -> dict[str, Any]:
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # The transaction's snapshot, shared with pg_dump: the counts and the dump see the same rows.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                facts = database_facts(conn)
                run_pg_tool("pg_dump", url, ["--format=custom", f"--snapshot={snapshot}", f"--file={target}"])
    finally:
        engine.dispose()
    return {"dialect": "postgresql", "file": target.name, **file_digest(target), **facts}


def libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the environment, not the process list."""
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [f"--dbname={conninfo}"], env


def run_pg_tool(tool: str, url: URL, args: list[str]) -> None:
    binary = shutil.which(tool) or f"/usr/bin/{tool}"
    connection, env = libpq_args(url)
    result = subprocess.run([binary, *connection, *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{tool} is mislukt (code {result.returncode}): {result.stderr.strip()[-2000:]}")


def _sqlite_snapshot(url: URL, target: Path) -> dict[str, Any]:
    source_path = url.database
    if not source_path or source_path == ":memory:" or not Path(source_path).exists():
        raise BackupError(f"De SQLite-database {source_path!r} bestaat niet.")
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # online: other connections keep working; the copy is one consistent state
    finally:
        copy.close()
        source.close()
    os.chmod(target, 0o600)
    engine = sqlite_engine(target)
    try:
        with engine.connect() as conn:
            facts = database_facts(conn)
    finally:
        engine.dispose()
    return {"dialect": "sqlite", "file": target.name, **file_digest(target), **facts}


def sqlite_engine(path: Path) -> Engine:
    """A plain engine on a SQLite file: no pragmas (the app's engine would switch a copy to WAL)."""
    return create_engine(f"sqlite:///{path}")


def _copy_blobs(storage: Storage, directory: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    blobs: dict[str, dict[str, Any]] = {}
    vanished: list[str] = []
    for info in storage.iter_blobs():
        try:
            chunks = storage.open_chunks(info.key, DEFAULT_CHUNK)
        except BlobNotFound:
            vanished.append(info.key)
            continue
        blobs[info.key] = _write_chunks(directory / info.key, chunks)
    return blobs, vanished


def _write_chunks(target: Path, chunks: Any) -> dict[str, Any]:
    """Stream into `target` (never the whole file in memory), hashing on the way."""
    digest = hashlib.sha256()
    size = 0
    part = target.with_name(target.name + ".part")
    with open(part, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(part, target)
    return {"sha256": digest.hexdigest(), "size": size}


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(DEFAULT_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _write_atomically(target: Path, data: bytes) -> None:
    part = target.with_name(target.name + ".part")
    with open(part, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(part, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
