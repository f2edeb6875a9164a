"""Mails when a praktijkbegeleider is approved: the personal link to the new one, a note to the previous one."""

from sqlmodel import Session

from app.accounts.models import User
from app.cohorts.models import Enrolment
from app.config import Settings
from app.notifications import service as notifications
from app.signoff.links import link_or_reuse, link_url, reuse_text


def approved(
    session: Session,
    *,
    enrolment: Enrolment,
    supervisor: User,
    previous_id: int | None,
    actor_id: int | None,
    settings: Settings,
) -> None:
    student = session.get(User, enrolment.student_id)
    assert student is not None
    # The same personal link for every student they guide: a second student adds to what the link shows.
    made = link_or_reuse(session, supervisor_id=supervisor.id or 0, created_by_id=actor_id, settings=settings)
    where = (
        "Via deze persoonlijke link ziet u wat er voor u klaarstaat (u heeft geen account nodig):\n"
        f"{link_url(settings, made)}\n\nDe link is {settings.supervisor_link_days} dagen geldig. "
        "Deel hem niet met anderen.\n"
        if isinstance(made, str)
        else f"Wat er voor {student.name} klaarstaat, ziet u via dezelfde persoonlijke link als eerder.\n"
        f"{reuse_text(settings, made)}\n"
    )
    notifications.queue_mail(
        session,
        to=supervisor.email,
        subject=f"Uitnodiging: aftekenen voor {student.name}",
        body=(
            f"Beste {supervisor.name},\n\nDe opleiding heeft u gekoppeld als praktijkbegeleider van {student.name} "
            "(duale jobcoachopleiding). U tekent bewijs uit de praktijk af.\n\n" + where
        ),
    )
    previous = session.get(User, previous_id) if previous_id and previous_id != supervisor.id else None
    if previous is not None:
        notifications.queue_mail(
            session,
            to=previous.email,
            subject=f"U bent niet langer praktijkbegeleider van {student.name}",
            body=(
                f"Beste {previous.name},\n\nDe opleiding heeft een andere praktijkbegeleider gekoppeld aan "
                f"{student.name}. Verzoeken om af te tekenen die nog openstonden, gaan naar de nieuwe "
                "praktijkbegeleider; uw persoonlijke link toont ze niet meer.\n"
                "Bedankt voor uw begeleiding.\n"
            ),
        )
