"""Deskundigheidsbevordering: log courses and degree certificates, correct or withdraw them, total the hours.

Services flush only; the request's session commits. Certificates go through the evidence upload pipeline: the
same content checks (`check_files`) and the same storage and `Blob` rows, so `portfolio storage check` knows them.
The hour requirement (98 h / 3.5 EC) and the EC→hours ratio come from the beroepsprofiel data, never from code.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, col, select

from app.accounts.service import Actor
from app.audit import service as audit
from app.development.models import DevelopmentEntry, DevelopmentWithdrawal, EntryKind
from app.errors import Conflict, NotFound
from app.evidence.models import Blob
from app.evidence.saving import checked_uploads
from app.evidence.service import _publish
from app.framework.beroepsprofiel import Beroepsprofiel, TrainingRequirement
from app.i18n import N_
from app.storage import SpooledFile, Storage
from app.validation import fields

NOT_VISIBLE = N_("Deze registratie bestaat niet of u heeft er geen toegang toe.")
MAX_TEXT = 200
MAX_NOTE = 2_000
MAX_HOURS = Decimal("10000")
MAX_EC = Decimal("1000")
CENT = Decimal("0.01")
DEGREE_KINDS = {EntryKind.hbo_diploma.value, EntryKind.evc.value, EntryKind.jobcoach_diploma.value}

KIND_LABELS = {
    EntryKind.cursus.value: N_("Cursus, training of deelopleiding"),
    EntryKind.hbo_diploma.value: N_("HBO- of universitair diploma"),
    EntryKind.evc.value: N_("EVC-procedure of assessment (HBO-niveau)"),
    EntryKind.jobcoach_diploma.value: N_("Diploma erkende jobcoachopleiding"),
}


@dataclass
class EntryInput:
    """What the form sends for one entry."""

    kind: str = EntryKind.cursus.value
    title: str = ""
    provider: str = ""
    entry_date: str = ""
    hours: str = ""
    ec: str = ""
    note: str = ""
    keep_certificate: bool = False


def _amount(value: str, *, field: str, invalid: str, maximum: Decimal, out_of_range: str) -> Decimal | None:
    """A study load that may be left empty: a number above 0 and at most `maximum`, to the cent."""
    amount = fields.optional_amount(value, invalid=invalid, field=field)
    if amount is None:
        return None
    fields.within(amount, above=0, at_most=maximum, message=out_of_range, field=field)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _validate(data: EntryInput) -> tuple[dict[str, str], date | None, Decimal | None, Decimal | None]:
    problems = fields.Problems()
    problems.check(
        fields.choice, data.kind, options=KIND_LABELS, message="Kies wat voor registratie dit is.", field="kind"
    )
    problems.check(
        fields.text,
        data.title,
        required="Vul de titel in (de naam van de cursus of het diploma).",
        max_length=MAX_TEXT,
        too_long=fields.length_message("De titel", MAX_TEXT),
        field="title",
    )
    problems.check(
        fields.text,
        data.provider,
        required="Vul in wie de cursus gaf of het diploma uitreikte.",
        max_length=MAX_TEXT,
        too_long=fields.length_message("De aanbieder", MAX_TEXT),
        field="provider",
    )
    when = problems.check(
        fields.past_date, data.entry_date, missing="Vul de datum in (dd-mm-jjjj).", field="entry_date"
    )
    problems.check(
        fields.text,
        data.note,
        strip=False,
        max_length=MAX_NOTE,
        too_long=fields.length_message("De toelichting", MAX_NOTE),
        field="note",
    )
    hours: Decimal | None = None
    ec: Decimal | None = None
    if data.kind == EntryKind.cursus.value:
        hours = problems.check(
            _amount,
            data.hours,
            field="hours",
            invalid="Vul het aantal uren in als getal, bijvoorbeeld 16 of 2,5.",
            maximum=MAX_HOURS,
            out_of_range=f"Het aantal uren moet groter dan 0 en hoogstens {MAX_HOURS} zijn.",
        )
        ec = problems.check(
            _amount,
            data.ec,
            field="ec",
            invalid="Vul het aantal EC in als getal, bijvoorbeeld 1 of 3,5.",
            maximum=MAX_EC,
            out_of_range=f"Het aantal EC moet groter dan 0 en hoogstens {MAX_EC} zijn.",
        )
        if hours is None and ec is None and "hours" not in problems and "ec" not in problems:
            problems.add("hours", "Vul de studielast in: het aantal uren of het aantal EC.")
    return problems.errors, when, hours, ec


# --- the log ---------------------------------------------------------------------------------------------------


def entries_of(session: Session, *, student_id: int) -> list[DevelopmentEntry]:
    """Every entry of the student, oldest first (the whole history)."""
    return list(
        session.exec(
            select(DevelopmentEntry).where(DevelopmentEntry.student_id == student_id).order_by(col(DevelopmentEntry.id))
        ).all()
    )


def withdrawals_of(session: Session, *, student_id: int) -> dict[int, DevelopmentWithdrawal]:
    rows = session.exec(select(DevelopmentWithdrawal).where(DevelopmentWithdrawal.student_id == student_id)).all()
    return {w.entry_id: w for w in rows}


def current_entries(entries: Iterable[DevelopmentEntry], withdrawn: Iterable[int]) -> list[DevelopmentEntry]:
    """The log as it stands: entries neither replaced by a correction nor withdrawn."""
    entries = list(entries)
    replaced = {e.replaces_id for e in entries if e.replaces_id is not None}
    gone = set(withdrawn)
    return [e for e in entries if e.id not in replaced and e.id not in gone]


def entry_hours(entry: DevelopmentEntry, *, uren_per_ec: Decimal) -> Decimal:
    """What a course counts for: its hours, or else its EC converted with the beroepsprofiel's ratio."""
    if entry.kind != EntryKind.cursus.value:
        return Decimal(0)
    if entry.hours is not None:
        return Decimal(entry.hours)
    if entry.ec is not None:
        return (Decimal(entry.ec) * uren_per_ec).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal(0)


@dataclass(frozen=True)
class PeTotal:
    """Professional development hours against the requirement (e.g. 98 h / 3.5 EC)."""

    hours: Decimal  # counted: current courses with a certificate
    without_certificate: Decimal  # current courses whose certificate is still missing (not counted)
    required_hours: Decimal
    required_ec: Decimal
    uren_per_ec: Decimal

    @property
    def ec(self) -> Decimal:
        return (self.hours / self.uren_per_ec).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def met(self) -> bool:
        return self.hours >= self.required_hours

    @property
    def short(self) -> Decimal:
        return max(Decimal(0), self.required_hours - self.hours)

    @property
    def percent(self) -> int:
        return min(100, int(self.hours * 100 / self.required_hours))


def pe_total(
    entries: Iterable[DevelopmentEntry], *, withdrawn: Iterable[int], requirement: TrainingRequirement
) -> PeTotal:
    """Sum the current courses. Only what is shown with a certificate counts ('aantoonbaar')."""
    counted = Decimal(0)
    missing = Decimal(0)
    for entry in current_entries(entries, withdrawn):
        hours = entry_hours(entry, uren_per_ec=requirement.uren_per_ec)
        if entry.blob_id is not None:
            counted += hours
        else:
            missing += hours
    return PeTotal(
        hours=counted,
        without_certificate=missing,
        required_hours=requirement.minimum_uren,
        required_ec=requirement.minimum_ec,
        uren_per_ec=requirement.uren_per_ec,
    )


@dataclass(frozen=True)
class EntryView:
    entry: DevelopmentEntry
    status: str  # geldig | vervangen | ingetrokken
    counted_hours: Decimal
    certificate: Blob | None
    withdrawal: DevelopmentWithdrawal | None = None
    replaced_by: int | None = None


@dataclass(frozen=True)
class DevelopmentLog:
    current: list[EntryView]
    history: list[EntryView]  # every entry, newest first
    total: PeTotal
    degrees: list[EntryView] = field(default_factory=list)  # current degree certificates


def development_log(session: Session, *, student_id: int, profile: Beroepsprofiel) -> DevelopmentLog:
    entries = entries_of(session, student_id=student_id)
    withdrawals = withdrawals_of(session, student_id=student_id)
    blob_ids = [e.blob_id for e in entries if e.blob_id is not None]
    blobs = {b.id: b for b in session.exec(select(Blob).where(col(Blob.id).in_(blob_ids or [0]))).all()}
    replaced_by = {e.replaces_id: e.id for e in entries if e.replaces_id is not None}
    ratio = profile.uren_per_ec
    views: dict[int, EntryView] = {}
    for entry in entries:
        withdrawal = withdrawals.get(entry.id or 0)
        status = "ingetrokken" if withdrawal else "vervangen" if entry.id in replaced_by else "geldig"
        views[entry.id or 0] = EntryView(
            entry=entry,
            status=status,
            counted_hours=entry_hours(entry, uren_per_ec=ratio),
            certificate=blobs.get(entry.blob_id) if entry.blob_id else None,
            withdrawal=withdrawal,
            replaced_by=replaced_by.get(entry.id or 0),
        )
    current = [views[e.id or 0] for e in current_entries(entries, withdrawals)]
    current.sort(key=lambda v: (v.entry.entry_date, v.entry.id or 0), reverse=True)
    return DevelopmentLog(
        current=[v for v in current if v.entry.kind == EntryKind.cursus.value],
        history=sorted(views.values(), key=lambda v: v.entry.id or 0, reverse=True),
        total=pe_total(entries, withdrawn=withdrawals, requirement=profile.training),
        degrees=[v for v in current if v.entry.kind in DEGREE_KINDS],
    )


def own_entry(session: Session, *, student_id: int, entry_id: int) -> DevelopmentEntry:
    entry = session.get(DevelopmentEntry, entry_id)
    if entry is None or entry.student_id != student_id:
        raise NotFound(NOT_VISIBLE)
    return entry


def _ensure_current(session: Session, *, entry: DevelopmentEntry) -> None:
    if session.exec(select(DevelopmentWithdrawal.id).where(DevelopmentWithdrawal.entry_id == entry.id)).first():
        raise Conflict(N_("Deze registratie is ingetrokken."))
    if session.exec(select(DevelopmentEntry.id).where(DevelopmentEntry.replaces_id == entry.id)).first():
        raise Conflict(N_("Deze registratie is al gecorrigeerd; corrigeer de nieuwste versie."))


# --- writing ---------------------------------------------------------------------------------------------------


def add_entry(
    session: Session,
    *,
    actor: Actor,
    storage: Storage,
    data: EntryInput,
    files: Sequence[SpooledFile] = (),
    replaces: DevelopmentEntry | None = None,
) -> DevelopmentEntry:
    """Log a course or a degree certificate, or (with `replaces`) its correction. Validates before writing."""
    errors, when, hours, ec = _validate(data)
    if len(files) > 1:
        errors["files"] = "Voeg één certificaat of diploma toe (één bestand)."
    checked = checked_uploads(files, errors=errors)
    assert when is not None
    if replaces is not None:
        if replaces.student_id != actor.id:
            raise NotFound(NOT_VISIBLE)
        _ensure_current(session, entry=replaces)
    blob_id = replaces.blob_id if replaces is not None and data.keep_certificate else None
    if checked:
        blob_id = _publish(session, storage=storage, student_id=actor.id, files=checked)[0].id
    entry = DevelopmentEntry(
        student_id=actor.id,
        kind=data.kind,
        title=data.title.strip(),
        provider=data.provider.strip(),
        entry_date=when,
        hours=hours,
        ec=ec,
        note=data.note.strip(),
        blob_id=blob_id,
        replaces_id=replaces.id if replaces is not None else None,
        created_by=actor.id,
    )
    audit.record_new(
        session,
        entry,
        # A second tab corrected the same entry at the same moment: the unique replaces_id kept one.
        once=N_("Deze registratie is al gecorrigeerd; corrigeer de nieuwste versie."),
        actor_id=actor.id,
        action="development.corrected" if replaces is not None else "development.added",
        object_type="development_entry",
        data={
            "kind": entry.kind,
            "hours": str(hours) if hours is not None else None,
            "ec": str(ec) if ec is not None else None,
            "certificate": blob_id is not None,
            "replaces": entry.replaces_id,
        },
    )
    return entry


def withdraw_entry(session: Session, *, actor: Actor, entry_id: int, reason: str) -> DevelopmentWithdrawal:
    """Take an entry back, with a reason; it stays in the history, marked as withdrawn."""
    entry = own_entry(session, student_id=actor.id, entry_id=entry_id)
    reason = fields.text(
        reason,
        required=N_("Geef een reden voor het intrekken."),
        max_length=MAX_NOTE,
        too_long=N_("De reden is te lang."),
    )
    _ensure_current(session, entry=entry)
    withdrawal = DevelopmentWithdrawal(entry_id=entry.id or 0, student_id=actor.id, reason=reason, created_by=actor.id)
    audit.record_new(
        session,
        withdrawal,
        once=N_("Deze registratie is ingetrokken."),
        actor_id=actor.id,
        action="development.withdrawn",
        object_type="development_entry",
        object_id=entry.id,
        data={"reason": reason[:200]},
    )
    return withdrawal


def form_of(entry: DevelopmentEntry) -> EntryInput:
    """An entry as form input: the starting point of its correction."""
    return EntryInput(
        kind=entry.kind,
        title=entry.title,
        provider=entry.provider,
        entry_date=entry.entry_date.isoformat(),
        hours=str(entry.hours).replace(".", ",") if entry.hours is not None else "",
        ec=str(entry.ec).replace(".", ",") if entry.ec is not None else "",
        note=entry.note,
        keep_certificate=entry.blob_id is not None,
    )


def certificate_of(session: Session, *, student_id: int, entry_id: int) -> Blob:
    """The certificate of one of the student's entries (any version: the history stays readable)."""
    entry = own_entry(session, student_id=student_id, entry_id=entry_id)
    blob = session.get(Blob, entry.blob_id) if entry.blob_id else None
    if blob is None or blob.removed_at is not None:  # removed by retention or erasure
        raise NotFound(N_("Bij deze registratie hoort geen bestand."))
    return blob
