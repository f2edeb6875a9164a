"""Start-up wiring: higher domains connect their listeners to the hooks that lower domains declare.

The one place where the layers meet. `wire()` is idempotent; `app.main` and `app.cli` call it on import.
Keep one section per listening domain, so that what listens to what reads in one place.
"""

from app import events
from app.evidence import hooks as evidence_hooks

_wired = False


def wire() -> None:
    global _wired
    if _wired:
        return
    _wired = True

    # -- signoff listens --
    from app.signoff.service import notify_submitted

    evidence_hooks.submitted.connect(notify_submitted)

    # -- assessment listens --
    from app.assessment.evidence_state import submission_states

    evidence_hooks.submission_states.connect(submission_states)

    # -- hours listens --

    # -- readiness listens --
    from app.readiness import seal

    events.before_portfolio_change.connect(seal.ensure_not_sealed)

    # -- development listens --
    from app.development import methods as method_tags

    evidence_hooks.method_errors.connect(method_tags.method_errors)
    evidence_hooks.methods_chosen.connect(method_tags.add_tags)
    evidence_hooks.methods_of_versions.connect(method_tags.methods_of_versions)

    # -- privacy listens --
    from app.privacy.retention import removed_by_retention

    evidence_hooks.removed_by_retention.connect(removed_by_retention)
