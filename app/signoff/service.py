"""Aftekening's public surface: what waits for a praktijkbegeleider, the decision itself, account-free links and
the mails about what waits. Each lives in its own module; this one re-exports them, so callers need not know which.

- `pending`: what waits, whom they guide, one request as submitted
- `decisions`: deciding, one or many, and what was decided
- `links`: personal links for praktijkbegeleiders without an account
- `reminders`: the mail on submission, reminders and escalations
- `digest`: the daily digest
"""

from app.evidence.models import Submission
from app.signoff.decisions import (
    DECISION_LABELS,
    Decider,
    decide,
    decide_all_of_student,
    decide_many,
    decider_for,
    not_possible_in_cohort,
    slot_history,
)
from app.signoff.digest import send_digests, set_digest
from app.signoff.links import (
    LINK_GONE,
    active_link,
    check_link_rate,
    confirm_identity,
    create_link,
    find_link,
    identity_confirmed,
    link_decider,
    link_failures_exceeded,
    link_or_reuse,
    link_url,
    mark_used,
    portal_line,
    record_link_failure,
    request_new_link,
    reuse_text,
    revoke_links,
    turn_into_account,
)
from app.signoff.models import SupervisorLink
from app.signoff.pending import (
    NOT_YOURS,
    STUDENTS_PER_PAGE,
    OpenRequest,
    PendingItem,
    PendingPage,
    Review,
    ReviewItem,
    StudentGroup,
    Supervised,
    current_supervisor_id,
    group_pending,
    own_submission,
    pending_for,
    review,
    supervised_students,
)
from app.signoff.reminders import notify_submitted, send_reminders

_portal_line = portal_line  # the name `app.hours.service` imports

__all__ = [
    "DECISION_LABELS",
    "LINK_GONE",
    "NOT_YOURS",
    "STUDENTS_PER_PAGE",
    "Decider",
    "OpenRequest",
    "PendingItem",
    "PendingPage",
    "Review",
    "ReviewItem",
    "StudentGroup",
    "Submission",
    "Supervised",
    "SupervisorLink",
    "active_link",
    "check_link_rate",
    "confirm_identity",
    "create_link",
    "current_supervisor_id",
    "decide",
    "decide_all_of_student",
    "decide_many",
    "decider_for",
    "find_link",
    "group_pending",
    "identity_confirmed",
    "link_decider",
    "link_failures_exceeded",
    "link_or_reuse",
    "link_url",
    "mark_used",
    "not_possible_in_cohort",
    "notify_submitted",
    "own_submission",
    "pending_for",
    "portal_line",
    "record_link_failure",
    "request_new_link",
    "reuse_text",
    "review",
    "revoke_links",
    "send_digests",
    "send_reminders",
    "set_digest",
    "slot_history",
    "supervised_students",
    "turn_into_account",
]
