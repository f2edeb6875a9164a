"""Start-up wiring: higher domains connect their listeners to the hooks that lower domains declare.

The one place where the layers meet. `wire()` is idempotent; `app.main` and `app.cli` call it on import.
One section per listening domain, in layer order, so that what listens to what reads in one place.
"""

from app import events
from app.evidence import hooks as evidence_hooks
from app.web import templates

_wired = False


def wire() -> None:
    global _wired
    if _wired:
        return
    _wired = True

    # -- signoff listens --
    from app.cohorts import guidance
    from app.signoff import mail
    from app.signoff.service import notify_submitted

    guidance.supervisor_approved.connect(mail.approved)  # the new praktijkbegeleider's link, the previous one told
    evidence_hooks.submitted.connect(notify_submitted)

    # -- hours listens --
    from app.hours import signoff_digest
    from app.signoff import hooks as signoff_hooks

    signoff_hooks.remind.connect(signoff_digest.remind)
    signoff_hooks.escalate.connect(signoff_digest.escalate)
    signoff_hooks.digest.connect(signoff_digest.digest)

    # -- assessment listens --
    from app.assessment.evidence_state import submission_states

    evidence_hooks.submission_states.connect(submission_states)

    # -- readiness listens --
    from app.readiness import dossier, seal

    events.before_portfolio_change.connect(seal.ensure_not_sealed)
    dossier.use_templates(templates.env)  # the dossier PDF is drawn with the pages' templates and filters

    # -- development listens --
    from app.development import methods as method_tags
    from app.development import register

    evidence_hooks.method_errors.connect(method_tags.method_errors)
    evidence_hooks.methods_chosen.connect(method_tags.add_tags)
    evidence_hooks.methods_of_versions.connect(method_tags.methods_of_versions)
    register.use_templates(templates.env)  # the register overview PDF, likewise

    # -- privacy listens --
    from app.privacy.retention import removed_by_retention

    evidence_hooks.removed_by_retention.connect(removed_by_retention)
