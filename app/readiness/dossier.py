"""The exam committee's dossier: a PDF of the whole portfolio and a ZIP with that PDF, the files and a manifest.

Built in the background (progress is kept on the Dossier row for the page to poll). Files are streamed from
storage into the ZIP; the manifest lists every file's SHA-256, re-computed while copying, so a committee can check
that what it received is what was stored.
"""

import hashlib
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.assessment import service as assessment
from app.audit import service as audit
from app.db import utcnow
from app.events import HookNotWired
from app.evidence import service as evidence
from app.evidence.models import Blob
from app.evidence.reading import submission_contents
from app.framework import service as framework_service
from app.framework.registry import FrameworkRegistry
from app.framework.service import Statement
from app.readiness import builds
from app.readiness import service as readiness
from app.readiness.models import Dossier
from app.signoff import service as signoff
from app.signoff.models import SignOff
from app.storage import Storage, new_key

log = logging.getLogger(__name__)


@dataclass
class DossierItem:
    title: str
    version: int
    kind: str
    activity_date: date
    justification: str
    files: list[Blob] = field(default_factory=list)


@dataclass
class DossierRound:
    submitted_at: datetime
    items: list[DossierItem]
    decision: SignOff | None


@dataclass
class DossierSlot:
    code: str
    statement: Statement
    group: str
    status: str
    rounds: list[DossierRound]
    assessments: list[tuple[Any, User]]


def collect(session: Session, *, student: User, registry: FrameworkRegistry) -> dict[str, Any]:
    """Everything the PDF shows, gathered once."""
    framework, verdict = readiness.readiness_of(session, student=student, registry=registry)
    slots = evidence.slots_of(session, student_id=student.id or 0, framework=framework)
    statements = framework_service.statements(framework)
    result: list[DossierSlot] = []
    files: dict[int, tuple[Blob, str]] = {}
    for group in framework.groups:
        for eindterm in group.eindtermen:
            rounds = []
            for submission, decision in reversed(
                signoff.slot_history(session, student_id=student.id or 0, code=eindterm.code)
            ):
                items = []
                # slot_history returns this eindterm's submissions, so their onderbouwing is the one for it
                for submitted in submission_contents(session, submission=submission):
                    version = submitted.version
                    for blob in submitted.files:
                        if blob.removed_at is None:  # files removed by retention or erasure are gone
                            files.setdefault(blob.id or 0, (blob, eindterm.code))
                    items.append(
                        DossierItem(
                            title=version.title,
                            version=version.number,
                            kind=version.kind,
                            activity_date=version.activity_date,
                            justification=submitted.justification,
                            files=submitted.files,
                        )
                    )
                rounds.append(DossierRound(submitted_at=submission.submitted_at, items=items, decision=decision))
            slot = slots.get(eindterm.code)
            result.append(
                DossierSlot(
                    code=eindterm.code,
                    statement=statements[eindterm.code],
                    group=group.title,
                    status=slot.status if slot else "leeg",
                    rounds=rounds,
                    assessments=list(
                        reversed(assessment.history(session, student_id=student.id or 0, code=eindterm.code))
                    ),
                )
            )
    terms = {t.term: t for s in result for t in s.statement.terms}  # marked in the text: explained at the end
    return {
        "student": student,
        "framework": framework,
        "readiness": verdict,
        "slots": result,
        "terms": list(terms.values()),
        "files": files,
        "decisions": readiness.decision_history(session, student_id=student.id or 0),
    }


# The web layer's Jinja environment (its filters, such as `datum`, and translations), handed in by `app.wiring`:
# this core sits below app.web and may not import it.
_templates: Environment | None = None


def use_templates(env: Environment) -> None:
    global _templates
    _templates = env


def render_html(context: dict[str, Any], manifest: list[dict[str, Any]]) -> str:
    if _templates is None:
        raise HookNotWired("app.readiness.dossier has no templates: call app.wiring.wire() at start-up")
    return _templates.get_template("dossier/dossier.html").render(**context, manifest=manifest, generated_at=utcnow())


def render_pdf(context: dict[str, Any], manifest: list[dict[str, Any]]) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(context, manifest)).write_pdf()
    return pdf


def build(
    engine: Engine,
    storage: Storage,
    registry: FrameworkRegistry,
    dossier_id: int,
    *,
    stale_before: datetime | None = None,
) -> bool:
    """Run in the background: never raises; a failure is recorded on the row. False when another builder has it
    (`stale_before`: the worker may take over a row abandoned since then, see `app.readiness.builds`)."""
    work = partial(_build, engine, storage, registry, dossier_id)
    return builds.run(
        work, engine=engine, model=Dossier, row_id=dossier_id, log=log, what="dossier", stale_before=stale_before
    )


def build_stale(
    session: Session, now: datetime, *, storage: Storage, registry: FrameworkRegistry, older_than: timedelta
) -> int:
    """Worker job: build again the dossiers a dead process left ("bezig" without a heartbeat, or "wacht" that no
    request task took) for `older_than`. Returns how many this worker built; others racing it build the rest."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    stale_before = now - older_than
    found = builds.stale(session, Dossier, now=now, older_than=older_than)
    session.rollback()  # no transaction stays open while building
    return sum(build(engine, storage, registry, dossier_id, stale_before=stale_before) for dossier_id in found)


def _build(engine: Engine, storage: Storage, registry: FrameworkRegistry, dossier_id: int) -> None:
    builds.progress(engine, Dossier, dossier_id, 5)
    with Session(engine) as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None
        student = session.get(User, dossier.student_id)
        assert student is not None
        context = collect(session, student=student, registry=registry)
    files: dict[int, tuple[Blob, str]] = context.pop("files")
    with tempfile.TemporaryDirectory(dir=storage.spool_dir()) as tmp:
        zip_path = Path(tmp) / "dossier.zip"
        manifest: list[dict[str, Any]] = []
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, (blob, code) in enumerate(files.values(), start=1):
                arcname = f"bestanden/{code}/{blob.id}-{blob.download_name}"
                digest = hashlib.sha256()
                with archive.open(arcname, "w", force_zip64=True) as target:
                    for chunk in storage.open_chunks(blob.key):
                        digest.update(chunk)
                        target.write(chunk)
                manifest.append(
                    {
                        "bestand": arcname,
                        "sha256": digest.hexdigest(),
                        "grootte": blob.size,
                        "opgeslagen_sha256": blob.sha256,
                        "eindterm": code,
                    }
                )
                builds.progress(engine, Dossier, dossier_id, 5 + int(75 * number / max(len(files), 1)))
            pdf = render_pdf(context, manifest)
            builds.progress(engine, Dossier, dossier_id, 90)
            archive.writestr("dossier.pdf", pdf)
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        pdf_path = Path(tmp) / "dossier.pdf"
        pdf_path.write_bytes(pdf)
        pdf_key, zip_key = new_key(), new_key()
        zip_size = zip_path.stat().st_size
        storage.publish(pdf_path, key=pdf_key, content_type="application/pdf")
        storage.publish(zip_path, key=zip_key, content_type="application/zip")
    with Session(engine) as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None
        dossier.pdf_key, dossier.zip_key = pdf_key, zip_key
        dossier.pdf_sha256, dossier.zip_size = hashlib.sha256(pdf).hexdigest(), zip_size
        dossier.manifest = manifest
        dossier.status, dossier.progress, dossier.finished_at = "klaar", 100, utcnow()
        session.add(dossier)
        audit.record(
            session,
            actor_id=dossier.requested_by_id,
            action="dossier.built",
            object_type="student",
            object_id=dossier.student_id,
            data={"dossier_id": dossier.id, "files": len(manifest)},
        )
        session.commit()


def request_dossier(session: Session, *, actor_id: int, student_id: int) -> Dossier:
    dossier = Dossier(student_id=student_id, requested_by_id=actor_id)
    return builds.requested(session, dossier, "dossier.requested", about=("student", student_id), key="dossier_id")


def dossiers_of(session: Session, *, student_id: int) -> list[Dossier]:
    return list(
        session.exec(select(Dossier).where(Dossier.student_id == student_id).order_by(col(Dossier.id).desc())).all()
    )
