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
from app.cohorts.models import Cohort, Enrolment, SupervisorAssignment
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
    assignments = SupervisorAssignment.__table__  # type: ignore[attr-defined]
    db.execute(assignments.delete().where(assignments.c.student_id != world.student.id))  # they point at enrolments
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
    # XLSX cells are typed: text is a string cell shown as typed, without the CSV's apostrophe (#16 item 18),
    # and the counts are numbers a spreadsheet can add up.
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    body = list(sheet.iter_rows(min_row=2))
    for hostile in HOSTILE:
        cell = next(row[0] for row in body if row[0].value == hostile)
        assert cell.data_type == "s"
    for title in ("Voldaan", "Totaal"):
        assert all(row[header.index(title)].data_type == "n" for row in body)
    assert all(isinstance(row[header.index("Totaal")].value, int) for row in body)
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


def seed_varied_cohort(app: FastAPI, db: Session, world: World, count: int = 40) -> None:
    """Students whose slots cover every case of the readiness rule: every status, scores below, at and above the
    minimum, an unknown score, niet mogelijk with and without an approved substitute, a code outside the framework,
    and students without any slot."""
    import random

    from app.assessment.models import SubstituteApproval

    add_students(app, db, world, count)
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    rng = random.Random(7)
    scores = ["onvoldoende", "voldoende", "goed", None, "uitmuntend"]
    slots = db.exec(select(Slot)).all()
    for slot in slots:
        # Students lean ahead or behind together, so that the ranking has something to rank.
        lean = slot.student_id % 5
        slot.status = rng.choice(STATUSES[:4] + ["beoordeeld"] * lean + ["niet_mogelijk"])
        slot.score = rng.choice(scores) if slot.status == "beoordeeld" else None
        db.add(slot)
        if slot.status == "niet_mogelijk" and rng.random() < 0.5:
            db.add(
                SubstituteApproval(
                    student_id=slot.student_id,
                    eindterm_code=slot.eindterm_code,
                    description="Vervangende opdracht.",
                    approved_by_id=world.coordinator.id or 0,
                )
            )
    first = db.exec(select(Slot.student_id).order_by(col(Slot.student_id))).first()
    db.add(
        Slot(
            student_id=first or 0,
            framework_id=framework.id,
            framework_version=framework.version,
            eindterm_code="XX-z",  # not in this framework version: never counts
            status="beoordeeld",
            score="goed",
        )
    )
    # Two students without slot rows at all (world.student has none either).
    bare = db.exec(select(Slot.student_id).distinct().order_by(col(Slot.student_id).desc()).limit(2)).all()
    db.execute(Slot.__table__.delete().where(Slot.__table__.c.student_id.in_(bare)))  # type: ignore[attr-defined]
    db.commit()


def test_overview_verdicts_match_the_readiness_rule(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    """The met counts (in total and per group) that SQL computes for the overview are the ones
    `readiness.service.evaluate` gives each student shown, and the ranking follows them."""
    from app.dashboard import cohort_overview as overview
    from app.readiness.service import readiness_of

    seed_varied_cohort(app, db, world)
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    seen = 0
    for level in overview.LEVELS:
        for sort in overview.SORTS:
            for page in (1, 2):
                view = overview.overview(
                    db,
                    cohort=world.cohort,
                    framework=framework,
                    filters=overview.Filters(sort=sort, page=page, level=level),
                    page_size=15,
                )
                assert view.total_students == 41 and len(view.rows) == 15
                for row in view.rows:
                    _, verdict = readiness_of(db, student=row.student, registry=app.state.frameworks)
                    assert row.met == len(verdict.met), row.student.name
                    assert row.groups == [(g.group.code, g.met, g.total) for g in verdict.groups], row.student.name
                    seen += 1
                mets = [r.met for r in view.rows]
                if sort == "gereedheid":
                    assert mets == sorted(mets, reverse=True)
                elif sort == "-gereedheid":
                    assert mets == sorted(mets)
    assert seen == 2 * 3 * 2 * 15
    # Not a vacuous comparison: the seeded cohort has students far apart, substitutes that count and scores that don't.
    everyone = overview.overview(
        db, cohort=world.cohort, framework=framework, filters=overview.Filters(), paginate=False
    ).rows
    assert len({r.met for r in everyone}) > 5 and everyone[0].met > everyone[-1].met
    # The page and the API show the same numbers.
    login(client, world.coordinator.email)
    api = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress?size=5").json()
    for item, row in zip(api["items"], everyone[:5], strict=True):
        assert item["student"]["id"] == row.student.id and item["met"] == row.met
        assert item["groups"] == [{"code": c, "met": m, "total": t} for c, m, t in row.groups]


def test_group_level_columns_come_from_the_framework(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    seed_varied_cohort(app, db, world, count=12)
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/overzicht?niveau=groep").text
    head = page.split("<thead>")[1].split("</thead>")[0]
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert [g.title for g in framework.groups] == [
        "Methodiek",
        "Intake en assessment",
        "Jobfinding",
        "Coaching on the job",
    ]
    for group in framework.groups:
        assert f">{group.title}</th>" in head
        assert f"/{len(group.eindtermen)}</td>" in body
    assert 'class="cell status-' not in body and 'class="code-col"' not in head
    # The toggle on the page, and the level kept by the pager and the filters form.
    assert 'name="niveau" value="groep" checked' in page
    eindterm_level = client.get(f"/cohorten/{world.cohort.id}/overzicht").text
    assert 'name="niveau" value="groep" >' in eindterm_level or 'name="niveau" value="groep"  >' in eindterm_level
    cells = eindterm_level.split("<tbody>")[1].count('class="cell status-')
    assert cells == 13 * len(framework.eindtermen)
    # The API: the same option, without the 56 statuses.
    api = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress?niveau=groep").json()
    assert api["total"] == 13
    assert all("statuses" not in item for item in api["items"])
    assert [g["code"] for g in api["items"][0]["groups"]] == [g.code for g in framework.groups]
    full = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress").json()
    assert all(len(item["statuses"]) == len(framework.eindtermen) for item in full["items"])
    # Exports always hold every eindterm, whatever level the page shows.
    csv_text = client.get(f"/cohorten/{world.cohort.id}/overzicht.csv?niveau=groep").content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(csv_text), delimiter=";"))
    assert header[7:] == [e.code for e in framework.eindtermen]


def test_overview_pages_past_the_end_still_count(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    add_students(app, db, world, 3)
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/overzicht?pagina=9")
    assert page.status_code == 200 and "4 studenten" in page.text
    api = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress?size=2&page=9").json()
    assert api["total"] == 4 and api["items"] == []


def test_bottlenecks_by_sql_match_what_the_full_overview_shows(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    """The knelpunten page counts and lists by SQL; the result is what one reads off every student's row of the
    full overview: the lagging eindtermen, who has been inactive for three weeks (or never active), and every
    niet-mogelijk slot of an eindterm in the framework."""
    from datetime import timedelta

    from app.dashboard import cohort_overview as overview
    from app.db import as_utc, utcnow
    from app.readiness.service import readiness_of

    seed_varied_cohort(app, db, world)
    now = utcnow()
    students = sorted({s for s in db.exec(select(Slot.student_id)).all()})
    for n, slot in enumerate(db.exec(select(Slot).order_by(col(Slot.id))).all()):
        # A third of the students last active 30 days ago, the rest some days ago; some slots never touched.
        days = 30 if students.index(slot.student_id) % 3 == 0 else 2 + n % 5
        slot.last_activity_at = None if n % 7 == 0 else now - timedelta(days=days)
        db.add(slot)
    db.commit()
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    full = overview.overview(db, cohort=world.cohort, framework=framework, filters=overview.Filters(), paginate=False)
    found = overview.bottlenecks(db, cohort=world.cohort, framework=framework, now=now)

    assert found.total_students == full.total_students == 41
    # "voldaan" per eindterm is the readiness rule's verdict, student by student: not every beoordeeld slot (a
    # score below the minimum) and sometimes a niet-mogelijk one (an approved substitute assignment).
    codes = [e.code for e in framework.eindtermen]
    verdicts = [readiness_of(db, student=r.student, registry=app.state.frameworks)[1] for r in full.rows]
    met_by_code = {c: sum(1 for v in verdicts if c in v.met) for c in codes}
    assert full.met_per_code == met_by_code
    assert any(met_by_code[c] != full.column_counts[c]["beoordeeld"] for c in codes)
    expected_lagging = sorted(((c, met_by_code[c], 41) for c in codes), key=lambda x: x[1])[:5]
    assert found.lagging == expected_lagging
    threshold = now - timedelta(days=21)
    inactive = {r.student.id for r in full.rows if r.last_activity is None or as_utc(r.last_activity) < threshold}
    assert {s.id for s, _ in found.inactive} == inactive and 10 < len(inactive) < 41
    assert [s.name.lower() for s, _ in found.inactive] == sorted(s.name.lower() for s, _ in found.inactive)
    not_possible = {(r.student.id, c) for r in full.rows for c, s in r.statuses.items() if s == "niet_mogelijk"}
    assert {(s.id, c) for s, c in found.not_possible} == not_possible and not_possible

    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/knelpunten").text
    first_inactive, _ = found.inactive[0]
    assert f'href="/studenten/{first_inactive.id}/gereedheid"' in page
    student, code = found.not_possible[0]
    assert f'href="/studenten/{student.id}/eindtermen/{code}"' in page


def test_weekly_progress_counts_per_week_cumulatively(app: FastAPI, db: Session, world: World) -> None:
    from datetime import date, datetime, timedelta
    from itertools import pairwise

    from app.assessment.models import Assessment
    from app.dashboard import cohort_overview as overview
    from app.evidence.models import Submission
    from app.signoff.models import SignOff

    add_students(app, db, world, 6)
    students = db.exec(select(Enrolment.student_id).where(Enrolment.cohort_id == world.cohort.id)).all()
    begin = datetime.combine(world.cohort.start_date, datetime.min.time())
    for n in range(40):  # spread over the weeks since the start, several on the same day, some on a Sunday night
        student = students[n % len(students)]
        moment = begin + timedelta(days=(n * 5) % 60, hours=23 if n % 4 == 0 else 9)
        submission = Submission(
            student_id=student, framework_id="bvjn-eindtermen", framework_version="2012", eindterm_code="IA-a"
        )
        db.add(submission)
        db.flush()
        decision = "afgetekend" if n % 5 else "terug"
        db.add(
            SignOff(
                submission_id=submission.id or 0,
                student_id=student,
                eindterm_code="IA-a",
                decision=decision,
                decided_at=moment,
                decided_by_name="PB",
                decided_by_email="pb@x.nl",
            )
        )
        if n % 3 == 0:
            db.add(
                Assessment(
                    student_id=student,
                    eindterm_code="IA-a",
                    framework_id="bvjn-eindtermen",
                    framework_version="2012",
                    score="goed",
                    feedback="",
                    assessor_id=world.coordinator.id or 0,
                    created_at=moment + timedelta(days=3),
                )
            )
    db.commit()
    signed = db.exec(
        select(SignOff.decided_at).where(
            col(SignOff.student_id).in_(select(Enrolment.student_id).where(Enrolment.cohort_id == world.cohort.id)),
            SignOff.decision == "afgetekend",
        )
    ).all()
    scored = db.exec(
        select(Assessment.created_at).where(
            col(Assessment.student_id).in_(select(Enrolment.student_id).where(Enrolment.cohort_id == world.cohort.id))
        )
    ).all()
    assert signed and scored
    weeks = overview.weekly_progress(db, cohort=world.cohort)
    start = world.cohort.start_date - timedelta(days=world.cohort.start_date.weekday())
    assert weeks[0][0] == start and all(b[0] - a[0] == timedelta(days=7) for a, b in pairwise(weeks))
    assert weeks[-1][0] <= date.today() < weeks[-1][0] + timedelta(days=7) or weeks[-1][0] > date.today()

    def upto(dates: list[datetime], week: date) -> int:
        return sum(1 for d in dates if d.date() < week + timedelta(days=7))

    assert [(w, s, a) for w, s, a in weeks] == [(w, upto(signed, w), upto(scored, w)) for w, _, _ in weeks]
    assert weeks[-1][1] == len(signed) and weeks[-1][2] == len(scored)


def test_the_heatmaps_voldaan_row_counts_the_readiness_rule(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    from app.dashboard import cohort_overview as overview
    from app.readiness.service import readiness_of

    seed_varied_cohort(app, db, world, count=12)
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    full = overview.overview(db, cohort=world.cohort, framework=framework, filters=overview.Filters(), paginate=False)
    verdicts = [readiness_of(db, student=r.student, registry=app.state.frameworks)[1] for r in full.rows]
    expected = [sum(1 for v in verdicts if e.code in v.met) for e in framework.eindtermen]
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/overzicht").text
    row = page.split('<tr class="counts">')[1].split("</tr>")[0]
    shown = [int(n) for n in row.split('<td class="num">')[1:] for n in [n.split("<")[0]]]
    assert shown == expected and sum(expected) > 0


def test_an_onvoldoende_score_is_never_shown_like_a_pass(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    """#16 item 7: a score below the framework's minimum has its own symbol, colour and label everywhere, and
    does not count as voldaan."""
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    failed, passed = framework.eindtermen[0].code, framework.eindtermen[1].code
    for code, score in ((failed, "onvoldoende"), (passed, "voldoende")):
        db.add(
            Slot(
                student_id=world.student.id,
                framework_id="bvjn-eindtermen",
                framework_version="2012",
                eindterm_code=code,
                status="beoordeeld",
                evidence_count=1,
                score=score,
            )
        )
    db.commit()
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/overzicht").text
    assert f'class="cell status-onvoldoende" title="{failed}: beoordeeld: onvoldoende">O</td>' in page
    assert f'class="cell status-beoordeeld" title="{passed}: beoordeeld">B</td>' in page
    assert '<span class="cell status-onvoldoende" aria-hidden="true">O</span> beoordeeld: onvoldoende' in page
    text = client.get(f"/cohorten/{world.cohort.id}/overzicht.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, row = rows[0], next(r for r in rows[1:] if r[0] == world.student.name)
    assert row[header.index(failed)] == "beoordeeld: onvoldoende" and row[header.index(passed)] == "beoordeeld"
    sheet = load_workbook(io.BytesIO(client.get(f"/cohorten/{world.cohort.id}/overzicht.xlsx").content))["Overzicht"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    xrow = next(r for r in values[1:] if r[0] == world.student.name)
    assert xrow[values[0].index(failed)] == "beoordeeld: onvoldoende"
    api = client.get(f"/api/v1/cohorts/{world.cohort.id}/progress").json()
    item = next(i for i in api["items"] if i["statuses"][failed] != "leeg")
    assert item["statuses"][failed] == "onvoldoende" and item["statuses"][passed] == "beoordeeld"
    assert item["status_labels"][failed] == "beoordeeld: onvoldoende"

    from app.dashboard.service import portfolio

    view = portfolio(db, student=world.student, registry=app.state.frameworks)
    assert view.done == 1  # the onvoldoende does not count
    login(client, world.student.email)
    slots = [
        s for g in client.get(f"/api/v1/students/{world.student.id}/portfolio").json()["groups"] for s in g["slots"]
    ]
    mine_api = next(s for s in slots if s["code"] == failed)
    assert mine_api["shown_status"] == "onvoldoende" and mine_api["status_label"] == "beoordeeld: onvoldoende"
    mine = client.get("/portfolio").text
    assert '<span class="badge status-onvoldoende">beoordeeld: onvoldoende</span>' in mine
    slot = client.get(f"/studenten/{world.student.id}/eindtermen/{failed}").text
    assert '<span class="badge status-onvoldoende">beoordeeld: onvoldoende</span>' in slot


def test_the_status_filter_keeps_onvoldoende_apart_from_a_pass(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    """#16 item 7: filtering on "beoordeeld" finds scores at the minimum or better; "beoordeeld: onvoldoende" is
    its own choice, so a failed score never turns up among the passes."""
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    failed, passed = framework.eindtermen[0].code, framework.eindtermen[1].code

    def scored(code: str, score: str) -> None:
        db.add(
            Slot(
                student_id=world.student.id,
                framework_id="bvjn-eindtermen",
                framework_version="2012",
                eindterm_code=code,
                status="beoordeeld",
                evidence_count=1,
                score=score,
            )
        )
        db.commit()

    def listed(status: str) -> bool:
        page = client.get(f"/cohorten/{world.cohort.id}/overzicht?status={status}").text
        return world.student.name in page.split("<tbody>", 1)[1]

    scored(failed, "onvoldoende")
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}/overzicht").text
    assert '<option value="onvoldoende" >beoordeeld: onvoldoende</option>' in page
    assert listed("onvoldoende") and not listed("beoordeeld")
    scored(passed, "voldoende")
    assert listed("beoordeeld") and listed("onvoldoende")
    view_counts = client.get(f"/cohorten/{world.cohort.id}/overzicht?status=onvoldoende").text
    assert f'title="{failed}: beoordeeld: onvoldoende">O</td>' in view_counts
