"""What evidence announces and asks, for the domains above it to answer (connected in `app.wiring`).

Evidence sits low: signoff, assessment, development and privacy build on it. Where a save or a read needs
something one of them owns (the mail to the praktijkbegeleider, what became of a submission, the method tags
on a version, why a file was removed), evidence declares it here and calls it; the owner connects its function
at start-up. All are required: skipping one would lose data, a mail or a state without a sound.
"""

from datetime import datetime

from app.events import Hook, Query

# Slots were sent to the praktijkbegeleider (flushed, not committed): signoff mails them, unless they chose
# the daily digest. Called as (session, submissions=[Submission], settings=Settings).
submitted: Hook[...] = Hook("evidence.submitted", required=True)

# Per submission what became of it so far, as (status, since): the latest score, else the sign-off, else
# waiting since submitted (assessment knows both). Asked as (session, submissions=[Submission],
# framework=Framework | None); with a framework a score below its minimum reads `onvoldoende`.
submission_states: Query[..., dict[int, tuple[str, datetime]]] = Query("evidence.submission_states", required=True)

# Method tags (development's, from the beroepsprofiel) on a version.
# Before a save writes anything: form errors for the chosen keys, field → Dutch message. Asked as
# (keys, registry).
method_errors: Query[..., dict[str, str]] = Query("evidence.method_errors", required=True)
# After a version's rows are flushed, in the same transaction: store its tags. Called as
# (session, version_id=int, keys=[str]).
methods_chosen: Hook[...] = Hook("evidence.methods_chosen", required=True)
# The tags of these versions, version id → method keys. Asked as (session, version_ids=[int]).
methods_of_versions: Query[..., dict[int, list[str]]] = Query("evidence.methods_of_versions", required=True)

# A removed file was asked for: whether its retention term removed it (privacy keeps that record), else it
# went on a request to erase. Asked as (session, blob=Blob).
removed_by_retention: Query[..., bool] = Query("evidence.removed_by_retention", required=True)
