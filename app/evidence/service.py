"""Evidence: create and revise bewijsstukken (every save a new version), files, koppelingen, slots, indienen.

The public face of the evidence services, kept so that `from app.evidence import service` works for every
caller; each job lives in its own module:

- `app.evidence.forms`: the form input, its limits and checks (`EvidenceInput`, `FieldErrors`).
- `app.evidence.files`: uploads checked by content and published to storage.
- `app.evidence.saving`: `save_evidence` (a new bewijsstuk or version) and `form_of`.
- `app.evidence.reading`: versions, files, koppelingen, submissions, the evidence of a slot.
- `app.evidence.history`: every version of a bewijsstuk with what became of it.
- `app.evidence.access`: who may see a bewijsstuk or a file.
- `app.evidence.slots`: slot states, what blocks indienen, `submit_slots`.
- `app.evidence.hooks`: what the domains above evidence answer (mail, states, method tags, retention).

Services flush only; the request's session commits.
"""

from app.evidence.access import (
    FILE_NOT_VISIBLE,
    NOT_VISIBLE,
    REMOVED_BY_RETENTION,
    REMOVED_ON_REQUEST,
    visible_blob,
    visible_evidence,
)
from app.evidence.files import check_files, publish_files
from app.evidence.files import publish_files as _publish  # the name app.development.service imports
from app.evidence.forms import (
    MAX_JUSTIFICATION,
    MAX_LINKS,
    MAX_REFLECTION,
    MAX_TITLE,
    EvidenceInput,
    FieldErrors,
)
from app.evidence.history import VersionState, VersionView, evidence_history
from app.evidence.models import (
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceKind,
    EvidenceLink,
    EvidenceVersion,
    Slot,
    SlotStatus,
    Submission,
)
from app.evidence.reading import (
    LinkedEvidence,
    current_files,
    evidence_for_slot,
    evidence_of_student,
    files_of_versions,
    latest_version_of,
    links_of_versions,
    student_framework,
    student_of,
    submissions_for_slot,
    submitted_version_ids,
)
from app.evidence.saving import form_of, save_evidence
from app.evidence.slots import (
    BELOW_MINIMUM,
    LOCKED_STATUSES,
    NO_JUSTIFICATION,
    NOT_POSSIBLE,
    UNCHANGED,
    WAITING,
    refresh_slots,
    slots_of,
    submit_blockers,
    submit_slots,
)

__all__ = [
    "BELOW_MINIMUM",
    "FILE_NOT_VISIBLE",
    "LOCKED_STATUSES",
    "MAX_JUSTIFICATION",
    "MAX_LINKS",
    "MAX_REFLECTION",
    "MAX_TITLE",
    "NOT_POSSIBLE",
    "NOT_VISIBLE",
    "NO_JUSTIFICATION",
    "REMOVED_BY_RETENTION",
    "REMOVED_ON_REQUEST",
    "UNCHANGED",
    "WAITING",
    "Blob",
    "Evidence",
    "EvidenceFile",
    "EvidenceInput",
    "EvidenceKind",
    "EvidenceLink",
    "EvidenceVersion",
    "FieldErrors",
    "LinkedEvidence",
    "Slot",
    "SlotStatus",
    "Submission",
    "VersionState",
    "VersionView",
    "_publish",
    "check_files",
    "current_files",
    "evidence_for_slot",
    "evidence_history",
    "evidence_of_student",
    "files_of_versions",
    "form_of",
    "latest_version_of",
    "links_of_versions",
    "publish_files",
    "refresh_slots",
    "save_evidence",
    "slots_of",
    "student_framework",
    "student_of",
    "submissions_for_slot",
    "submit_blockers",
    "submit_slots",
    "submitted_version_ids",
    "visible_blob",
    "visible_evidence",
]
