"""How a slot's status is shown: one label per status, and "beoordeeld: onvoldoende" for a score below the
framework's minimum, so a failed score never looks like a pass. The labels are Dutch msgids, translated where
they are shown (`gettext`, or the `t` filter in templates)."""

from app.framework.schema import Framework
from app.i18n import N_

ONVOLDOENDE = "onvoldoende"  # shown, never stored: the slot's status is `beoordeeld`

STATUS_LABELS = {
    "leeg": N_("leeg"),
    "concept": N_("concept"),
    "ter_aftekening": N_("ter aftekening"),
    "terug": N_("terug voor aanpassing"),
    "afgetekend": N_("afgetekend"),
    "beoordeeld": N_("beoordeeld"),
    ONVOLDOENDE: N_("beoordeeld: onvoldoende"),
    "niet_mogelijk": N_("niet mogelijk op deze werkplek"),
}


def below_minimum(framework: Framework, score: str | None) -> bool:
    return bool(score) and score in framework.scale_codes and not framework.meets_minimum_score(str(score))


def shown_status(framework: Framework, status: str, score: str | None) -> str:
    """The status to show: `onvoldoende` for a beoordeeld slot whose score is below the minimum."""
    return ONVOLDOENDE if status == "beoordeeld" and below_minimum(framework, score) else status
