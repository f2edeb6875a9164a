"""Start-up wiring: higher domains connect their listeners to the hooks that lower domains declare.

The one place where the layers meet. `wire()` is idempotent; `app.main` and `app.cli` call it on import.
Keep one section per listening domain, so that what listens to what reads in one place.
"""

from app import events

_wired = False


def wire() -> None:
    global _wired
    if _wired:
        return
    _wired = True

    # -- signoff listens --
    from app.cohorts import guidance
    from app.signoff import mail

    guidance.supervisor_approved.connect(mail.approved)  # the new praktijkbegeleider's link, the previous one told

    # -- hours listens --
    from app.hours import signoff_digest
    from app.signoff import hooks as signoff_hooks

    signoff_hooks.remind.connect(signoff_digest.remind)
    signoff_hooks.escalate.connect(signoff_digest.escalate)
    signoff_hooks.digest.connect(signoff_digest.digest)

    # -- readiness listens --
    from app.readiness import seal

    events.before_portfolio_change.connect(seal.ensure_not_sealed)

    # -- development listens --

    # -- privacy listens --
