"""Cohort progress: the heatmap with filters in the URL, bottlenecks, the chart, safe exports, the paged API,
and a fixed number of SQL queries per page whatever the cohort's size."""

import csv
import io
from contextlib import contextmanager
from datetime import date

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import event, insert
from sqlmodel import Session, col, select

from app.accounts.models import User, UserRole
from app.cohorts.models import Cohort, Enrolment
from app.evidence.models import Slot
from tests.conftest import Browser, World, login

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1+1"]
STATUSES = ["leeg", "concept", "ter_aftekening", "terug", "afgetekend", "beoordeeld", "niet_mogelijk"]


def add_students(app: FastAPI, db: Session, world: World, count: int, names: list[str] | None = None) -> None:
    """Bulk students in world.cohort with slots in every status (fast: plain inserts)."""
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    codes = [e.code for e in framework.eindtermen]
    start = db.exec(Cohort.__table__.select()).all()  # type: ignore[attr-defined]
    del start
    users = [
        {
            "email": f"bulk{i}@x.nl",
            "name": (names[i] if names and i < len(names) else f"Student {i:04d}"),
            "student_number": f"9{i:05d}",
            "locale": "nl",
            "is_active": True,
            "notify_daily_digest": False,
            "created_at": date(2026, 1, 1),
        }
        for i in range(count)
    ]
    db.execute(insert(User), users)
    db.flush()
    ids = list(db.exec(select(User.id).where(col(User.email).like("bulk%@x.nl")).order_by(col(User.id))).all())
    db.execute(insert(UserRole), [{"user_id": i, "role": "student"} for i in ids])
    db.execute(
        insert(Enrolment),
        [
            {
                "cohort_id": world.cohort.id,
                "student_id": i,
                "workplace": "Werkbedrijf" if n % 2 else "Bakkerij",
                "supervisor_id": world.supervisor.id if n % 2 else world.other_supervisor.id,
                "assessor_id": world.assessor.id,
                "created_at": date(2026, 1, 1),
            }
            for n, i in enumerate(ids)
        ],
    )
    db.execute(
        insert(Slot),
        [
            {
                "student_id": i,
                "framework_id": "bvjn-eindtermen",
                "framework_version": "2012",
                "eindterm_code": code,
                "status": STATUSES[(n + k) % len(STATUSES)],
                "evidence_count": 1,
                "score": "voldoende",
            }
            for n, i in enumerate(ids)
            for k, code in enumerate(codes)
        ],
    )
    db.commit()


@contextmanager
def counting(app: FastAPI):  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    "path",
    [
        "/cohorten/{id}/overzicht",
        "/cohorten/{id}/knelpunten",
        "/cohorten/{id}/overzicht.csv",
        "/api/v1/cohorts/{id}/progress",
    ],
)
def test_query_count_does_not_grow_with_the_cohort(
    app: FastAPI, db: Session, world: World, client: Browser, path: str
) -> None:
    login(client, world.coordinator.email)
    url = path.format(id=world.cohort.id)
    add_students(app, db, world, 10)
    client.get(url)  # warm caches (framework, templates)
    with counting(app) as small:
        assert client.get(url).status_code == 200
    db.execute(Slot.__table__.delete())  # type: ignore[attr-defined]
    db.execute(Enrolment.__table__.delete().where(Enrolment.__table__.c.student_id != world.student.id))  # type: ignore[attr-defined]
    db.commit()
    add_students_more(app, db, world)
    with counting(app) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), (len(small), len(large))


def add_students_more(app: FastAPI, db: Session, world: World) -> None:
    from sqlmodel import delete, select

    bulk = db.exec(select(User.id).where(User.email.like("bulk%@x.nl"))).all()  # type: ignore[attr-defined]
    db.exec(delete(UserRole).where(UserRole.user_id.in_(bulk)))  # type: ignore[attr-defined,call-overload]
    db.exec(delete(User).where(User.id.in_(bulk)))  # type: ignore[union-attr,call-overload]
    db.commit()
    add_students(app, db, world, 200)


def test_heatmap_filters_live_in_the_url(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    add_students(app, db, world, 12, names=["Anna Aarts", "Bert Bos"])
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/overzicht").text
    assert "Anna Aarts" in page and "Bert Bos" in page and 'class="legend"' in page
    assert page.count('class="cell status-') >= 12 * 56
    only_anna = client.get(f"/cohorten/{world.cohort.id}/overzicht?zoek=aarts").text
    assert "Anna Aarts" in only_anna and "Bert Bos" not in only_anna
    by_supervisor = client.get(f"/cohorten/{world.cohort.id}/overzicht?praktijkbegeleider={world.other_supervisor.id}")
    assert "Bert Bos" not in by_supervisor.text and "Anna Aarts" in by_supervisor.text
    groups = client.get(f"/cohorten/{world.cohort.id}/overzicht?weergave=groepen&zoek=aarts").text
    assert 'class="cell status-' not in groups.split("<tbody>")[1] and "/16" in groups
    partial = client.get(f"/cohorten/{world.cohort.id}/overzicht?status=terug", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and 'name="status"' in partial.text
    assert f'href="/cohorten/{world.cohort.id}/overzicht.csv?status=terug"' in partial.text
    assert client.get(f"/cohorten/{world.other_cohort.id}/overzicht").status_code == 404


def test_exports_neutralise_formulas(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    add_students(app, db, world, len(HOSTILE), names=HOSTILE)
    login(client, world.coordinator.email)
    text = client.get(f"/cohorten/{world.cohort.id}/overzicht.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    names = [r[0] for r in rows[1:]]
    for hostile in HOSTILE:
        assert "'" + hostile in names
    assert not any(n.startswith(("=", "+", "-", "@", "\t")) for n in names)
    workbook = load_workbook(io.BytesIO(client.get(f"/cohorten/{world.cohort.id}/overzicht.xlsx").content))
    sheet = workbook["Overzicht"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    xlsx_names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    for hostile in HOSTILE:
        assert "'" + hostile in xlsx_names
    filtered = client.get(f"/cohorten/{world.cohort.id}/overzicht.csv?zoek=SUM").content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(filtered), delimiter=";"))) == 1 + 2


def test_bottlenecks_and_chart(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    add_students(app, db, world, 8)
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/knelpunten").text
    assert "<svg" in page and "<polyline" in page and "Eindtermen die achterblijven" in page
    assert "Niet mogelijk op de werkplek" in page


def test_progress_api_is_paged(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    add_students(app, db, world, 30)
    login(client, world.coordinator.email)
    first = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress?size=20").json()
    second = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress?size=20&page=2").json()
    assert first["total"] == 31 and len(first["items"]) == 20 and len(second["items"]) == 11
    assert len(first["items"][0]["statuses"]) == 56


def test_cohort_list_has_a_summary_row_per_cohort(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    add_students(app, db, world, 7)
    login(client, world.coordinator.email)
    page = client.get("/cohorten").text
    # 7 bulk students cycle through 7 statuses over 56 slots: 56 beoordeeld slots; world.student has none yet.
    row = page.split(world.cohort.name)[1].split("</tr>")[0]
    assert f"{round(100 * 56 / (8 * 56))}%" in row and f"/cohorten/{world.cohort.id}/overzicht" in row
    assert world.other_cohort.name not in page
