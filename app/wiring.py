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

    # -- hours listens --

    # -- readiness listens --
    from app.readiness import seal

    events.before_portfolio_change.connect(seal.ensure_not_sealed)
    from app.readiness import dossier
    from app.web import templates

    dossier.use_templates(templates.env)  # the dossier PDF is drawn with the pages' templates and filters

    # -- development listens --
    from app.development import register
    from app.web import templates

    register.use_templates(templates.env)  # the register overview PDF, likewise

    # -- privacy listens --
