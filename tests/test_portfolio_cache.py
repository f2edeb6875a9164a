"""The portfolio's slot list is rendered once per distinct slot state and reused (app.web.render_cached).

A cached fragment must never show stale data or carry one viewer's page into another's."""

import re
from collections.abc import Callable

from fastapi import FastAPI
from sqlmodel import Session, select

from app.evidence.models import Slot
from tests.conftest import Browser, World, login
from tests.test_query_counts import add_evidence, codes


def slot_statuses(html: str) -> list[str]:
    return re.findall(r'class="badge status-([a-z_]+)"', html)


def test_the_slot_list_follows_every_change_of_a_slot(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    own = client_factory()
    login(own, world.student.email)
    before = own.get("/portfolio").text
    assert set(slot_statuses(before)) == {"leeg"}
    add_evidence(app, db, world, world.student.id or 0, 3, world.supervisor.id or 0)
    after = own.get("/portfolio").text
    assert set(slot_statuses(after)) - {"leeg"}, "a cached slot list hid the new evidence"
    # A change that only touches one value the list shows (the score) is a new page too.
    slot = db.exec(select(Slot).where(Slot.student_id == world.student.id, Slot.status == "beoordeeld")).first()
    assert slot is not None
    slot.score = "goed"
    db.add(slot)
    db.commit()
    assert "<strong>goed</strong>" in own.get("/portfolio").text
    assert len(app.state.fragment_cache.entries) >= 3  # it is in use: one entry per distinct state


def test_viewers_never_share_what_is_theirs(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    student, supervisor = client_factory(), client_factory()
    login(student, world.student.email)
    login(supervisor, world.supervisor.email)
    add_evidence(app, db, world, world.student.id or 0, 2, world.supervisor.id or 0)
    own_page = student.get("/portfolio").text
    staff_page = supervisor.get(f"/studenten/{world.student.id}").text
    # Same slots, different viewers: only the student gets the submit checkboxes, and each page carries its own
    # CSRF token.
    assert 'name="eindterm"' in own_page and 'name="eindterm"' not in staff_page
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert set(token.findall(own_page)).isdisjoint(token.findall(staff_page))
    # Same state, another student of the same framework: their own links, not the first student's.
    other = client_factory()
    login(other, world.other_student.email)
    other_page = other.get("/portfolio").text
    first_code = codes(app)[0]
    assert f"/studenten/{world.other_student.id}/eindtermen/{first_code}" in other_page
    assert f"/studenten/{world.student.id}/eindtermen/" not in other_page
