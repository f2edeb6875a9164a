"""The access log: every view of a student's data by someone else is recorded (one INSERT), and the student sees
who looked (inzagerecht) on /portfolio/inzage and in the API."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlmodel import Session, col, select

from app.db import utcnow
from app.evidence.models import Submission
from app.privacy import service as privacy
from app.privacy.models import AccessEvent
from app.signoff import service as signoff
from tests.conftest import Browser, World, login
from tests.test_authorization import finished_dossier, submitted_evidence


def events(db: Session) -> list[AccessEvent]:
    db.expire_all()
    return list(db.exec(select(AccessEvent).order_by(col(AccessEvent.id))).all())


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = app.state.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_every_staff_view_is_logged_once_and_the_students_own_views_not(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    evidence_id, blob_id = submitted_evidence(app, db, world)
    dossier_id = finished_dossier(app, db, world)
    sid = world.student.id
    student = client_factory()
    login(student, world.student.email)
    for url in (
        "/portfolio",
        f"/studenten/{sid}/eindtermen/IA-a",
        f"/bewijs/{evidence_id}",
        f"/bestanden/{blob_id}",
        f"/studenten/{sid}/gereedheid",
    ):
        assert student.get(url).status_code == 200, url
    assert events(db) == []

    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    views = [
        (f"/studenten/{sid}", "portfolio", None),
        (f"/studenten/{sid}/eindtermen/IA-a", "eindterm", "IA-a"),
        (f"/bewijs/{evidence_id}", "bewijsstuk", str(evidence_id)),
        (f"/bestanden/{blob_id}", "bestand", str(blob_id)),
        (f"/bestanden/{blob_id}/voorbeeld", "bestand", str(blob_id)),
        (f"/studenten/{sid}/gereedheid", "gereedheid", None),
        (f"/studenten/{sid}/dossier/{dossier_id}", "dossier", str(dossier_id)),
        (f"/studenten/{sid}/dossier/{dossier_id}/pdf", "dossier", f"{dossier_id}/pdf"),
    ]
    for url, kind, object_id in views:
        before = len(events(db))
        assert coordinator.get(url).status_code == 200, url
        after = events(db)
        assert len(after) == before + 1, url
        logged = after[-1]
        assert (logged.viewer_id, logged.student_id, logged.kind, logged.object_id) == (
            world.coordinator.id,
            sid,
            kind,
            object_id,
        ), url
        assert logged.viewer_roles == "opleidingscoordinator" and not logged.via_link
    # The dossier page's progress polls are not views of their own.
    before = len(events(db))
    coordinator.get(f"/studenten/{sid}/dossier/{dossier_id}", headers={"HX-Request": "true"})
    assert len(events(db)) == before
    # A refused view (another programme's coordinator) logs nothing.
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.get(f"/studenten/{sid}").status_code == 404
    assert len(events(db)) == before


def test_supervisor_views_are_logged_signed_in_and_through_the_link(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    _, blob_id = submitted_evidence(app, db, world)
    submission_id = db.exec(select(Submission.id)).one()
    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    assert supervisor.get(f"/aftekenen/{submission_id}").status_code == 200
    [signed_in] = events(db)
    assert (signed_in.viewer_id, signed_in.kind, signed_in.object_id) == (
        world.supervisor.id,
        "aftekenverzoek",
        str(submission_id),
    )
    assert not signed_in.via_link

    token = signoff.create_link(
        db, supervisor_id=world.supervisor.id or 0, created_by_id=None, settings=app.state.settings
    )
    db.commit()
    phone = client_factory()
    assert (
        phone.post(f"/link/{token}/bevestigen", data={"naam": "Sandra Mulder", "functie": "Teamleider"}).status_code
        == 303
    )
    assert phone.get(f"/link/{token}/verzoeken/{submission_id}").status_code == 200
    assert phone.get(f"/link/{token}/bestanden/{blob_id}").status_code == 200
    via_link = events(db)[1:]
    assert [(e.viewer_id, e.student_id, e.kind, e.via_link) for e in via_link] == [
        (world.supervisor.id, world.student.id, "aftekenverzoek", True),
        (world.supervisor.id, world.student.id, "bestand", True),
    ]


def test_a_view_costs_one_insert_and_no_reads_of_the_log(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.coordinator.email)
    client.get(f"/studenten/{world.student.id}")
    with statements(app) as seen:
        assert client.get(f"/studenten/{world.student.id}").status_code == 200
    touching = [s for s in seen if "access_event" in s]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("INSERT")


def test_the_log_is_append_only(db: Session, world: World) -> None:
    privacy.record_view(db, viewer_id=world.coordinator.id or 0, student_id=world.student.id or 0, kind="portfolio")
    db.commit()
    row = db.exec(select(AccessEvent)).one()
    row.kind = "iets anders"
    db.add(row)
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()


def test_the_student_sees_who_looked_most_recent_first_and_paged(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    now = utcnow()
    for minutes in range(privacy.PAGE_SIZE + 5):
        db.add(
            AccessEvent(
                at=now - timedelta(minutes=minutes + 10),
                viewer_id=world.assessor.id or 0,
                student_id=world.student.id or 0,
                kind="eindterm",
                object_id="IA-b",
                viewer_roles="beoordelaar",
            )
        )
    db.add(
        AccessEvent(
            at=now,
            viewer_id=world.supervisor.id or 0,
            student_id=world.student.id or 0,
            kind="bestand",
            object_id="1",
            viewer_roles="praktijkbegeleider",
            via_link=True,
        )
    )
    db.add(
        AccessEvent(
            viewer_id=world.coordinator.id or 0,
            student_id=world.other_student.id or 0,
            kind="portfolio",
            viewer_roles="",
        )
    )
    db.commit()
    login(client, world.student.email)
    assert 'href="/portfolio/inzage"' in client.get("/portfolio").text
    first = client.get("/portfolio/inzage").text
    assert first.index("Sandra Mulder") < first.index("Anouk Visser")  # most recent first
    assert "via persoonlijke link" in first and "praktijkbegeleider" in first and "beoordelaar" in first
    assert "Marieke van Dijk" not in first  # someone else's log
    assert first.count('class="access-row"') == privacy.PAGE_SIZE  # one page
    assert 'href="/portfolio/inzage?pagina=2"' in first
    second = client.get("/portfolio/inzage?pagina=2").text
    assert second.count('class="access-row"') == 6
    api = client.get("/api/v1/me/access-log").json()
    assert api["total"] == privacy.PAGE_SIZE + 6
    assert api["items"][0]["viewer"]["name"] == "Sandra Mulder" and api["items"][0]["via_link"] is True
    assert client.get("/api/v1/me/access-log?page=2").json()["items"][-1]["kind"] == "eindterm"
    # Staff have no inzage page of their own.
    staff = client.__class__(app, follow_redirects=False)
    staff.app_ref = app
    login(staff, world.coordinator.email)
    assert staff.get("/portfolio/inzage").status_code == 404
