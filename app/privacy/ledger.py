"""The erasure ledger: who was erased, kept outside the database so that erasures survive a restore.

A restored backup predates the erasures made after it; `app.ops.restore` erases every person in this ledger again
before the app serves the restored data. One JSON line per person in `<ERASURE_LEDGER_DIR>/erasures.jsonl`: the
user id, the account's creation time (an id reused by a later account is not that person), the erasure time
and an HMAC over the three. No name, no e-mail address: the ledger must not itself hold personal data. The HMAC
key derives from AUDIT_KEY (or SECRET_KEY), like the audit chain's: keep it with the backups.
"""

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.accounts.models import User
from app.audit.canonical import canonical_at, canonical_json
from app.config import Settings

LEDGER_FILE = "erasures.jsonl"
KEY_CONTEXT = b"jobcoach-portfolio erasure ledger v1"


@dataclass(frozen=True)
class LedgerEntry:
    user_id: int
    account_created: str  # canonical_at of user_account.created_at
    erased_at: str  # canonical_at of the erasure
    mac: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LedgerReading:
    entries: list[LedgerEntry] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # Dutch descriptions of lines that do not verify


def ledger_file(settings: Settings) -> Path:
    return Path(settings.erasure_ledger_path) / LEDGER_FILE


def _key(settings: Settings) -> bytes:
    # A key per purpose, derived from the secret that is kept with the backups.
    return hmac.new(settings.audit_secret.encode("utf-8"), KEY_CONTEXT, hashlib.sha256).digest()


def entry_mac(*, settings: Settings, user_id: int, account_created: str, erased_at: str) -> str:
    message = canonical_json(["erasure-v1", user_id, account_created, erased_at]).encode("utf-8")
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


def account_created(user: User) -> str:
    return canonical_at(user.created_at)


def record_erasure(*, settings: Settings, user: User) -> LedgerEntry:
    """Append the erasure of `user` (durably, before the caller commits), once per person.

    Called by `erase_person` after its rows are written and before its files go: if this fails, the erasure fails
    with it. A commit that fails after this leaves an entry for a person not erased; a restore then erases them,
    which is what was asked for.
    """
    assert user.id is not None and user.erased_at is not None
    created = account_created(user)
    erased = canonical_at(user.erased_at)
    entry = LedgerEntry(
        user_id=user.id,
        account_created=created,
        erased_at=erased,
        mac=entry_mac(settings=settings, user_id=user.id, account_created=created, erased_at=erased),
    )
    path = ledger_file(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # app instances and the CLI append to one file
        with open(fd, "r+", encoding="utf-8", closefd=False) as f:
            for existing in _parse(f.read().splitlines(), settings=settings).entries:
                if (existing.user_id, existing.account_created) == (entry.user_id, entry.account_created):
                    return existing  # erased again after a restore: the first entry stands
        os.write(fd, (json.dumps(entry.as_dict(), sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)  # also releases the lock
    return entry


def read_ledger(settings: Settings) -> LedgerReading:
    """Every entry whose HMAC verifies; the others are named in `invalid` (forged, edited, or another key)."""
    try:
        lines = ledger_file(settings).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return LedgerReading()
    return _parse(lines, settings=settings)


def entries_from(values: list[dict[str, Any]], *, settings: Settings) -> LedgerReading:
    """Entries as stored in a backup's manifest, checked like the ledger's own lines."""
    return _parse([json.dumps(value) for value in values], settings=settings)


def _parse(lines: list[str], *, settings: Settings) -> LedgerReading:
    reading = LedgerReading()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            entry = LedgerEntry(
                user_id=int(raw["user_id"]),
                account_created=str(raw["account_created"]),
                erased_at=str(raw["erased_at"]),
                mac=str(raw["mac"]),
            )
        except (ValueError, KeyError, TypeError):
            reading.invalid.append(f"Regel {number} van het verwijderregister is onleesbaar.")
            continue
        expected = entry_mac(
            settings=settings, user_id=entry.user_id, account_created=entry.account_created, erased_at=entry.erased_at
        )
        if not hmac.compare_digest(expected, entry.mac):
            reading.invalid.append(
                f"Regel {number} van het verwijderregister (gebruiker {entry.user_id}) klopt niet met de sleutel: "
                "gewijzigd, nagemaakt of met een andere AUDIT_KEY/SECRET_KEY geschreven."
            )
            continue
        reading.entries.append(entry)
    return reading


def erased_at_of(entry: LedgerEntry) -> datetime:
    return datetime.fromisoformat(entry.erased_at)
