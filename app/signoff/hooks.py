"""Hooks of the reminder run and the daily digest: higher domains add what else waits for a praktijkbegeleider.

Praktijkuren wait for the same praktijkbegeleider as requests to sign off, but the hours domain sits above this
one. So the sign-off run keeps the rule (thresholds, recipients, once each, one digest mail a day) and calls these
hooks at its turn; a higher domain connects its part in `app.wiring`. Listeners add to the object they are given
(a hook returns nothing) and flush nothing themselves: the run flushes once at the end.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.accounts.models import User
from app.config import Settings
from app.events import Hook


@dataclass
class ReminderRound:
    """One round of the run: what was submitted at or before `older_than` and has no such reminder yet."""

    older_than: datetime
    now: datetime
    settings: Settings
    sent: int = 0  # listeners count what they sent; counted with the requests


@dataclass(frozen=True)
class DigestPart:
    """One section of a praktijkbegeleider's daily digest."""

    subject: str  # "2 weken praktijkuren om goed te keuren"
    heading: str  # "Deze praktijkuren wachten op uw goedkeuring"
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"{self.heading}:\n" + "\n".join(self.lines) + "\n\n"


# After the reminders to praktijkbegeleiders (kind "herinnering"), before the escalations.
remind: Hook[[Session, ReminderRound]] = Hook("signoff.remind", required=True)
# After the escalations to the coordinators (kind "escalatie").
escalate: Hook[[Session, ReminderRound]] = Hook("signoff.escalate", required=True)
# While a digest is put together: append a part if something waits for this praktijkbegeleider.
digest: Hook[[Session, User, list[DigestPart]]] = Hook("signoff.digest", required=True)
