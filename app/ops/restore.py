"""`portfolio restore SRC`: a backup back into an empty database and an empty storage, checked, erasures re-applied.

Refused unless the backup is finished (it has its manifest), its database file is the one the manifest names, and
the target database and storage are empty: a restore never merges into, or overwrites, live data. Afterwards every
blob is read back from the storage and hashed, the audit chain is verified (with the AUDIT_KEY/SECRET_KEY of the
backup's time) and the row counts are compared with the manifest. Last, everyone in the erasure ledger (and in the
manifest's copy of it) who is not erased in the restored database is erased again, through `erase_person`.
"""

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, select

from app.accounts.models import User
from app.audit import service as audit_service
from app.audit.verify import verify_chain
from app.config import Settings
from app.db import make_engine
from app.errors import DomainError
from app.evidence.models import Blob
from app.ops.backup import (
    BLOB_DIR,
    FORMAT,
    MANIFEST,
    BackupError,
    database_facts,
    file_digest,
    run_pg_tool,
    sqlite_engine,
)
from app.privacy import ledger
from app.privacy.erasure import erase_person
from app.storage import Storage, validate_key
from app.storage.backends import DEFAULT_CHUNK

# Into the empty target: its own (empty) tables are dropped first; owners and grants are the target's.
PG_RESTORE_OPTIONS = [
    "--no-owner",
    "--no-privileges",
    "--clean",
    "--if-exists",
    "--single-transaction",
    "--exit-on-error",
]
REASON = "Opnieuw verwijderd na het terugzetten van een back-up (oorspronkelijk verwijderd op {erased_at})."


class RestoreError(Exception):
    """The restore was refused or could not run (the message is Dutch and says why)."""


@dataclass
class RestoreReport:
    problems: list[str] = field(default_factory=list)  # any of these: the command exits non-zero
    notes: list[str] = field(default_factory=list)
    blobs_verified: int = 0
    tables_checked: int = 0
    erased_again: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line for `portfolio restore` to print."""
        return (
            f"{self.tables_checked} tabellen en {self.blobs_verified} bestanden kloppen met het manifest; "
            f"{len(self.erased_again)} persoon/personen opnieuw verwijderd."
        )

    @property
    def ok(self) -> bool:
        return not self.problems


def read_manifest(src: Path) -> dict[str, Any]:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise RestoreError(
            f"{src} heeft geen {MANIFEST}: de back-up is niet afgemaakt (of dit is geen back-up). Niet teruggezet."
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RestoreError(f"{MANIFEST} is onleesbaar: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise RestoreError(f"Onbekend back-upformaat {manifest.get('format')!r} (deze versie kent {FORMAT}).")
    return manifest


def restore_backup(*, settings: Settings, storage: Storage, src: Path) -> RestoreReport:
    src = Path(src)
    manifest = read_manifest(src)
    url = make_url(settings.database_url)
    dialect = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    database = manifest["database"]
    if database["dialect"] != dialect:
        raise RestoreError(f"De back-up is van {database['dialect']}, de database is {dialect}.")
    dump = src / Path(database["file"]).name
    if not dump.is_file() or file_digest(dump) != {"sha256": database["sha256"], "size": database["size"]}:
        raise RestoreError(f"{dump} ontbreekt of is gewijzigd (SHA-256 klopt niet met het manifest).")
    _refuse_unless_empty(url, storage)

    if dialect == "sqlite":
        _restore_sqlite(dump, url)
    else:
        try:
            run_pg_tool("pg_restore", url, [*PG_RESTORE_OPTIONS, str(dump)])
        except BackupError as exc:
            raise RestoreError(str(exc)) from None

    report = RestoreReport()
    audit_service.configure(settings.audit_secret)  # the chain is checked with this installation's key
    engine = make_engine(settings.database_url)
    try:
        _restore_blobs(engine, storage, src, manifest, report)
        _verify(engine, storage, manifest, report)
        reapply_erasures(engine, storage=storage, settings=settings, manifest=manifest, report=report)
    finally:
        engine.dispose()
    return report


def _refuse_unless_empty(url: URL, storage: Storage) -> None:
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        engine = sqlite_engine(path) if path.is_file() and path.stat().st_size > 0 else None
    else:
        engine = make_engine(url.render_as_string(hide_password=False))
    if engine is not None:
        try:
            with engine.connect() as conn:
                filled = {name: n for name, n in database_facts(conn)["tables"].items() if n}
        finally:
            engine.dispose()
        if filled:
            names = ", ".join(sorted(filled)[:5])
            raise RestoreError(f"De database is niet leeg ({len(filled)} tabellen met rijen, o.a. {names}).")
    if next(iter(storage.iter_blobs()), None) is not None:
        raise RestoreError(f"De opslag is niet leeg ({storage!r}): terugzetten alleen in een lege opslag.")


def _restore_sqlite(dump: Path, url: URL) -> None:
    target = Path(url.database or "")
    target.parent.mkdir(parents=True, exist_ok=True)
    # A journal left by the empty database would be replayed onto the restored file and corrupt it.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    part = target.with_name(target.name + ".restore.part")
    shutil.copyfile(dump, part)
    with open(part, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(part, 0o600)
    os.replace(part, target)


def _restore_blobs(
    engine: Engine, storage: Storage, src: Path, manifest: dict[str, Any], report: RestoreReport
) -> None:
    with Session(engine) as session:
        content_types = dict(session.exec(select(Blob.key, Blob.content_type)).all())
    for key in manifest["blobs"]:
        source = src / BLOB_DIR / validate_key(key)  # the manifest is input too: no paths from it
        if not source.is_file():
            report.problems.append(f"Bestand {key} staat in het manifest maar niet in de back-up.")
            continue
        spooled = storage.spool_dir() / f"restore-{key}.part"
        shutil.copyfile(source, spooled)  # publish consumes its file; the backup keeps its own
        storage.publish(spooled, key=key, content_type=content_types.get(key, "application/octet-stream"))


def _verify(engine: Engine, storage: Storage, manifest: dict[str, Any], report: RestoreReport) -> None:
    """What was restored against the manifest: blobs read back from the storage, row counts, the audit chain."""
    for key, expected in manifest["blobs"].items():
        if not storage.exists(key):
            continue  # reported as missing from the backup already
        digest = _storage_digest(storage, key)
        if digest != {"sha256": expected["sha256"], "size": expected["size"]}:
            report.problems.append(f"Bestand {key}: SHA-256 of grootte wijkt af van het manifest (gewijzigd).")
        else:
            report.blobs_verified += 1
    with engine.connect() as conn:
        facts = database_facts(conn)
    expected_tables: dict[str, int] = manifest["database"]["tables"]
    for name in sorted(set(expected_tables) | set(facts["tables"])):
        want, have = expected_tables.get(name), facts["tables"].get(name)
        if want != have:
            report.problems.append(f"Tabel {name}: {have} rijen teruggezet, het manifest noemt er {want}.")
        else:
            report.tables_checked += 1
    if facts["alembic_revision"] != manifest["database"]["alembic_revision"]:
        report.problems.append(
            f"Schemaversie {facts['alembic_revision']} teruggezet, het manifest noemt "
            f"{manifest['database']['alembic_revision']}."
        )
    head = {k: facts["audit"][k] for k in ("last_event_id", "last_hash", "length")}
    if head != {k: manifest["audit"][k] for k in head}:
        report.problems.append("De kop van de auditketen wijkt af van het manifest.")
    _verify_chain(engine, report)


def _verify_chain(engine: Engine, report: RestoreReport) -> None:
    with Session(engine) as session:
        chain = verify_chain(session)
    (report.notes if chain.ok else report.problems).append(chain.summary())


def _storage_digest(storage: Storage, key: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    for chunk in storage.open_chunks(key, DEFAULT_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def reapply_erasures(
    engine: Engine, *, storage: Storage, settings: Settings, manifest: dict[str, Any], report: RestoreReport
) -> None:
    """Erase again everyone in the ledger who is not erased in the restored database (actor: the system)."""
    reading = ledger.read_ledger(settings)
    copied = ledger.entries_from(manifest.get("erasure_ledger", []), settings=settings)
    report.problems += reading.invalid + [f"Manifest: {problem}" for problem in copied.invalid]
    known = {(entry.user_id, entry.account_created) for entry in reading.entries}
    lost = [entry for entry in copied.entries if (entry.user_id, entry.account_created) not in known]
    if lost:
        report.problems.append(
            f"Het verwijderregister ({ledger.ledger_file(settings)}) mist {len(lost)} verwijdering(en) die de "
            "back-up wel kent: is het register vervangen of ingekort? Ze worden toch toegepast."
        )
    for entry in reading.entries + lost:
        with Session(engine) as session:
            user = session.get(User, entry.user_id)
            if user is None:
                report.notes.append(f"Gebruiker {entry.user_id} staat niet in de back-up (later aangemaakt).")
                continue
            if ledger.account_created(user) != entry.account_created:
                report.notes.append(f"Id {entry.user_id} hoort in de back-up bij een ander account: overgeslagen.")
                continue
            if user.erased_at is not None:
                continue
            try:
                erase_person(
                    session,
                    actor_id=None,
                    user_id=entry.user_id,
                    reason=REASON.format(erased_at=entry.erased_at),
                    storage=storage,
                    settings=settings,
                )
                session.commit()
            except DomainError as exc:
                session.rollback()
                report.problems.append(f"Gebruiker {entry.user_id} kon niet opnieuw worden verwijderd: {exc.message}")
                continue
            report.erased_again.append(entry.user_id)
    if report.erased_again:
        _verify_chain(engine, report)
