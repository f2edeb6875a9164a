"""The consistency check: the store against the database's view of it (`portfolio storage check`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.storage.backends import DEFAULT_CHUNK, BlobNotFound, Storage

LABELS = {
    "checked": "gecontroleerd",
    "verified": "checksum klopt",
    "orphans": "verweesd",
    "orphans_removed": "verweesd verwijderd",
    "recent_unknown": "onbekend maar recent (bewaard)",
    "missing": "ontbreekt in de opslag",
    "mismatches": "checksum wijkt af",
    "stale_temp_files": "achtergebleven uploads",
    "temp_files_removed": "achtergebleven uploads verwijderd",
    "stale_partial_uploads": "onafgemaakte S3-uploads",
    "partial_uploads_aborted": "S3-uploads afgebroken",
}


@dataclass(frozen=True)
class ChecksumMismatch:
    key: str
    expected: str
    actual: str


@dataclass
class CheckReport:
    """What `check_storage` found (and removed). Lists are sorted; run it again and removed items are gone."""

    checked: int = 0  # blobs looked at
    verified: int = 0  # blobs whose checksum was recomputed and matched
    orphans: list[str] = field(default_factory=list)  # stored, unknown to the database, older than the grace
    orphans_removed: int = 0
    recent_unknown: list[str] = field(default_factory=list)  # unknown but within the grace: maybe being saved now
    missing: list[str] = field(default_factory=list)  # known to the database, not stored
    mismatches: list[ChecksumMismatch] = field(default_factory=list)
    stale_temp_files: list[Path] = field(default_factory=list)
    temp_files_removed: int = 0
    stale_partial_uploads: list[str] = field(default_factory=list)
    partial_uploads_aborted: int = 0

    @property
    def ok(self) -> bool:
        problems = (self.orphans, self.missing, self.mismatches, self.stale_temp_files, self.stale_partial_uploads)
        return not any(problems)

    def report_lines(self) -> list[tuple[str, int]]:
        """The summary as `portfolio storage check` prints it: a Dutch label per count."""
        return [(LABELS.get(name, name), count) for name, count in self.summary().items()]

    def summary(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "verified": self.verified,
            "orphans": len(self.orphans),
            "orphans_removed": self.orphans_removed,
            "recent_unknown": len(self.recent_unknown),
            "missing": len(self.missing),
            "mismatches": len(self.mismatches),
            "stale_temp_files": len(self.stale_temp_files),
            "temp_files_removed": self.temp_files_removed,
            "stale_partial_uploads": len(self.stale_partial_uploads),
            "partial_uploads_aborted": self.partial_uploads_aborted,
        }


def sha256_of(storage: Storage, key: str, chunk_size: int = DEFAULT_CHUNK) -> str:
    digest = hashlib.sha256()
    for chunk in storage.open_chunks(key, chunk_size):
        digest.update(chunk)
    return digest.hexdigest()


def check_storage(storage: Storage, *, known: dict[str, str | None], remove: bool, grace: timedelta) -> CheckReport:
    """Compare the store with the database's view `known` ({key: expected sha256 hex or None}).

    Orphans (stored but unknown, older than `grace`) and stale temp files / partial uploads are removed only
    when `remove` is true. Missing blobs and checksum mismatches are only reported: they need a person.
    """
    report = CheckReport()
    expected = {key: (sha.lower() if sha else None) for key, sha in known.items()}
    cutoff = datetime.now(UTC) - grace
    seen: set[str] = set()
    for blob in storage.iter_blobs():
        report.checked += 1
        if blob.key not in expected:
            if blob.modified <= cutoff:
                report.orphans.append(blob.key)
                if remove:
                    storage.delete(blob.key)
                    report.orphans_removed += 1
            else:
                report.recent_unknown.append(blob.key)
            continue
        seen.add(blob.key)
        want = expected[blob.key]
        if want is None:
            continue
        try:
            actual = sha256_of(storage, blob.key)
        except BlobNotFound:  # deleted while we were looking
            seen.discard(blob.key)
            continue
        if actual == want:
            report.verified += 1
        else:
            report.mismatches.append(ChecksumMismatch(key=blob.key, expected=want, actual=actual))
    report.missing = sorted(key for key in expected if key not in seen)
    for path in storage.stale_temp_files(grace):
        report.stale_temp_files.append(path)
        if remove:
            path.unlink(missing_ok=True)
            report.temp_files_removed += 1
    for upload in storage.stale_partial_uploads(grace):
        report.stale_partial_uploads.append(upload.key)
        if remove:
            storage.abort_partial_upload(upload)
            report.partial_uploads_aborted += 1
    report.orphans.sort()
    report.recent_unknown.sort()
    report.mismatches.sort(key=lambda m: m.key)
    return report
