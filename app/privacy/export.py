"""Everything stored about one person, as a ZIP (right of access, art. 15 AVG; portability, art. 20 AVG).

Built in the background like the dossier (`app.readiness.dossier`): progress is kept on the PrivacyExport row
for the page to poll. Which rows belong in it comes from the register (`app.privacy.register`), so a new table
is exported as soon as it is registered:

    gegevens/<tabel>.json   the rows about the person, one file per register table that holds any
    bestanden/...           every stored file of theirs, streamed from storage
    LEESMIJ.txt             the structure, in Dutch
    manifest.json           every file in the ZIP with its SHA-256
"""

import hashlib
import json
import logging
import re
import tempfile
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col
from sqlmodel import select as model_select

from app.accounts.models import User
from app.audit import service as audit
from app.db import as_utc, utcnow
from app.evidence.models import Blob
from app.privacy.models import PrivacyExport
from app.privacy.register import REGISTER, DataKind, by_key
from app.privacy.service import export_expiry
from app.readiness import builds
from app.readiness.models import Dossier
from app.storage import Storage, new_key

log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def rows_about(
    session: Session, kind: DataKind, person: User, cache: dict[str, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """The rows of `kind`'s table about `person`, as plain dicts (all columns, secrets included: callers drop them).

    A row is about the person when a subject column holds their id, an e-mail column their address, an object
    reference names them, or its parent row (`via`) is about them.
    """
    cache = {} if cache is None else cache
    if kind.key in cache:
        return cache[kind.key]
    if kind.table is None or not kind.traceable:
        return []
    table = kind.table.__table__  # type: ignore[attr-defined]
    conditions: list[ColumnElement[bool]] = [table.c[name] == person.id for name in kind.subject_columns]
    conditions += [table.c[name] == person.email for name in kind.subject_email_columns]
    if kind.subject_object is not None:
        type_column, id_column, types = kind.subject_object
        conditions.append(and_(table.c[type_column].in_(types), table.c[id_column] == str(person.id)))
    if kind.via is not None:
        column, parent_key = kind.via
        parent_ids = [row["id"] for row in rows_about(session, by_key(parent_key), person, cache)]
        if parent_ids:
            conditions.append(table.c[column].in_(parent_ids))
    rows: list[dict[str, Any]] = []
    if conditions:
        primary = list(table.primary_key.columns)
        result = session.execute(select(table).where(or_(*conditions)).order_by(*primary))
        rows = [dict(row._mapping) for row in result]
    cache[kind.key] = rows
    return rows


def collect(session: Session, *, person: User) -> dict[str, tuple[DataKind, list[dict[str, Any]]]]:
    """Per register table holding rows about the person: its kind and the rows, secrets left out."""
    cache: dict[str, list[dict[str, Any]]] = {}
    found: dict[str, tuple[DataKind, list[dict[str, Any]]]] = {}
    for kind in REGISTER:
        rows = rows_about(session, kind, person, cache)
        if not rows:
            continue
        cleaned = [
            {name: _plain(value) for name, value in row.items() if name not in kind.secret_columns} for row in rows
        ]
        found[kind.table_name or kind.key] = (kind, cleaned)
    return found


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "bestand"
    return cleaned[:120]


README = """Uw persoonsgegevens uit het jobcoach-portfolio
=============================================

Gemaakt op: {created}
Van: {name}

Dit ZIP-bestand bevat alle gegevens die het portfolio over u heeft opgeslagen (recht op inzage en
overdraagbaarheid, artikel 15 en 20 AVG).

Indeling
--------
gegevens/<tabel>.json
    Eén bestand per soort gegevens (tabel) waarin iets over u staat. Elk bestand noemt de soort, het doel,
    de grondslag en de bewaartermijn, en bevat onder "rijen" de opgeslagen rijen, zoals ze in de database staan
    (JSON; datums en tijden in UTC, ISO 8601).
bestanden/uploads/
    Uw geüploade bestanden (bij bewijsstukken, certificaten), als <nummer>-<bestandsnaam>. Het nummer is het
    "id" in gegevens/blob.json.
bestanden/dossier/
    De PDF's van uw dossier voor de examencommissie, als die zijn gemaakt.
manifest.json
    Elk bestand in dit ZIP-bestand met zijn grootte en SHA-256-controlegetal. Bij geüploade bestanden staat ook
    het controlegetal dat bij het uploaden is vastgelegd: die twee horen gelijk te zijn.
LEESMIJ.txt
    Dit bestand.

Wat er niet in staat
--------------------
- Uw wachtwoord (alleen een onomkeerbare hash is opgeslagen) en de hashes van inlog- en herstellinks.
- De tekst van e-mails aan u: die kan een nog geldige inlog- of herstellink bevatten. Onderwerp en datum staan
  wel in gegevens/outbox_message.json.
- Mislukte inlogpogingen: die zijn alleen gehasht opgeslagen en niet tot u te herleiden.

Gegevens die over u zijn vastgelegd door anderen (bijvoorbeeld een aftekening door uw praktijkbegeleider)
bevatten ook de naam van die persoon: dat hoort bij het besluit over u.

Klopt er iets niet? U hebt recht op correctie en, binnen de wettelijke bewaartermijnen, op verwijdering.
Zie de privacyverklaring in het portfolio (/privacy) voor de contactgegevens.
"""


def build(
    engine: Engine, storage: Storage, settings: Any, export_id: int, *, stale_before: datetime | None = None
) -> bool:
    """Run in the background: never raises; a failure is recorded on the row. False when another builder (request
    task or worker) has it; the lease and `stale_before` are `app.readiness.builds`'s."""
    work = partial(_build, engine, storage, settings, export_id)
    return builds.run(
        work,
        engine=engine,
        model=PrivacyExport,
        row_id=export_id,
        log=log,
        what="privacy export",
        stale_before=stale_before,
    )


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def _build(engine: Engine, storage: Storage, settings: Any, export_id: int) -> None:
    with Session(engine) as session:
        export = session.get(PrivacyExport, export_id)
        assert export is not None
        person = session.get(User, export.subject_id)
        assert person is not None
        tables = collect(session, person=person)
        blobs = session.exec(model_select(Blob).where(Blob.student_id == person.id).order_by(col(Blob.id))).all()
        dossiers = session.exec(
            model_select(Dossier).where(Dossier.student_id == person.id).order_by(col(Dossier.id))
        ).all()
        name = person.name
    created = utcnow()
    manifest: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=storage.spool_dir()) as tmp:
        zip_path = Path(tmp) / "export.zip"
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:

            def add_bytes(arcname: str, data: bytes) -> None:
                archive.writestr(arcname, data)
                manifest.append({"bestand": arcname, "sha256": hashlib.sha256(data).hexdigest(), "grootte": len(data)})

            for table_name, (kind, rows) in sorted(tables.items()):
                add_bytes(
                    f"gegevens/{table_name}.json",
                    _json_bytes(
                        {
                            "soort": kind.title,
                            "tabel": table_name,
                            "doel": kind.purpose,
                            "grondslag": kind.legal_basis,
                            "bewaartermijn": kind.retention_text(settings),
                            "rijen": rows,
                        }
                    ),
                )
            builds.progress(engine, PrivacyExport, export_id, 20)
            files: list[tuple[str, str, str | None]] = []  # (arcname, storage key, stored sha256)
            for blob in blobs:
                if getattr(blob, "removed_at", None) is not None:
                    continue  # deleted from storage by retention or erasure; its row is in gegevens/blob.json
                files.append((f"bestanden/uploads/{blob.id}-{_safe_name(blob.download_name)}", blob.key, blob.sha256))
            for dossier in dossiers:
                if dossier.pdf_key:
                    files.append((f"bestanden/dossier/dossier-{dossier.id}.pdf", dossier.pdf_key, dossier.pdf_sha256))
            for number, (arcname, key, stored) in enumerate(files, start=1):
                digest, size = hashlib.sha256(), 0
                with archive.open(arcname, "w", force_zip64=True) as target:
                    for chunk in storage.open_chunks(key):
                        digest.update(chunk)
                        size += len(chunk)
                        target.write(chunk)
                manifest.append(
                    {"bestand": arcname, "sha256": digest.hexdigest(), "grootte": size, "opgeslagen_sha256": stored}
                )
                builds.progress(engine, PrivacyExport, export_id, 20 + int(70 * number / max(len(files), 1)))
            add_bytes("LEESMIJ.txt", README.format(created=created.isoformat(timespec="seconds"), name=name).encode())
            archive.writestr(
                "manifest.json",
                _json_bytes({"gemaakt_op": created.isoformat(), "persoon_id": person.id, "bestanden": manifest}),
            )
        zip_key = new_key()
        zip_size = zip_path.stat().st_size
        zip_digest = hashlib.sha256()
        with zip_path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                zip_digest.update(chunk)
        storage.publish(zip_path, key=zip_key, content_type="application/zip")
    finished = utcnow()
    with Session(engine) as session:
        export = session.get(PrivacyExport, export_id)
        assert export is not None
        export.zip_key, export.zip_size, export.zip_sha256 = zip_key, zip_size, zip_digest.hexdigest()
        export.summary = {
            "tabellen": {name: len(rows) for name, (_, rows) in tables.items()},
            "bestanden": len(files),
        }
        export.status, export.progress, export.finished_at = "klaar", 100, finished
        export.expires_at = export_expiry(finished, settings)
        session.add(export)
        audit.record(
            session,
            actor_id=export.requested_by_id,
            action="privacy.export.built",
            object_type="user",
            object_id=export.subject_id,
            data={"export_id": export.id, "tables": len(tables), "files": len(files)},
        )
        session.commit()


WAITING_GRACE = timedelta(minutes=2)


def build_waiting(session: Session, now: datetime, *, storage: Storage, settings: Any) -> int:
    """Worker job: build exports a dead process left: still waiting after the grace period (the request's
    background task did not run, e.g. a restart), or "bezig" without a heartbeat for BUILD_STALE_SECONDS.

    The grace period leaves fresh exports to the request's own task; the claim keeps two builders apart."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    stale_after = timedelta(seconds=getattr(settings, "build_stale_seconds", 300))
    waiting = session.exec(
        model_select(PrivacyExport.id).where(
            PrivacyExport.status == "wacht", col(PrivacyExport.created_at) < now - WAITING_GRACE
        )
    ).all()
    abandoned = builds.stale(session, PrivacyExport, now=now, older_than=stale_after)
    session.rollback()  # no transaction stays open while building
    built = 0
    for export_id in dict.fromkeys([*(i or 0 for i in waiting), *abandoned]):
        # A waiting row is claimable as it is; an abandoned "bezig" one only past the stale time.
        built += build(engine, storage, settings, export_id, stale_before=now - stale_after)
    return built
