"""`portfolio bench-data` (app/benchdata.py): the synthetic portfolios are deterministic and consistent with
what the services would have written, and the audit chain stays intact."""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import Session, col, select

from app import benchdata
from app.assessment.models import Assessment
from app.audit.verify import verify_chain
from app.cohorts.models import Cohort, Enrolment
from app.evidence.models import Evidence, EvidenceLink, EvidenceVersion, Slot, Submission
from app.signoff.models import SignOff
from tests.conftest import Browser, login

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SEED = 7


def generate(app: FastAPI, db: Session, *, seed: int = SEED, force: bool = False) -> dict[str, int]:
    counts = benchdata.generate(
        db, students=30, cohorts=3, seed=seed, registry=app.state.frameworks, force=force, now=NOW
    )
    db.commit()
    return counts


def codes_of(app: FastAPI) -> list[str]:
    return [e.code for e in app.state.frameworks.get("bvjn-eindtermen", "2012").eindtermen]


def portfolios(db: Session, student_ids: list[int]) -> list[list[tuple[Any, ...]]]:
    """Per student (in the given order) what a coordinator sees: every slot's state, ids left out."""
    rows = db.exec(
        select(Slot)
        .where(col(Slot.student_id).in_(student_ids))
        .order_by(col(Slot.student_id), col(Slot.eindterm_code))
    ).all()
    by_student: dict[int, list[tuple[Any, ...]]] = {}
    for slot in rows:
        state = (slot.eindterm_code, slot.status, slot.score, slot.evidence_count, slot.last_activity_at)
        by_student.setdefault(slot.student_id, []).append(state)
    return [by_student[i] for i in student_ids]


def students_of_run(db: Session, programme_offset: int) -> list[int]:
    cohort_ids = db.exec(select(Cohort.id).order_by(col(Cohort.id))).all()[
        programme_offset * 3 : programme_offset * 3 + 3
    ]
    return list(
        db.exec(
            select(Enrolment.student_id).where(col(Enrolment.cohort_id).in_(cohort_ids)).order_by(col(Enrolment.id))
        ).all()
    )


def test_bench_data_is_what_the_services_would_write(app: FastAPI, db: Session) -> None:
    counts = generate(app, db)
    codes = codes_of(app)
    assert counts["user_account"] == 1 + 3 + 1 + 30  # coordinator, 1 praktijkbegeleider per 10, 1 beoordelaar per 40
    assert counts["cohort"] == 3 and counts["enrolment"] == 30
    assert counts["slot"] == 30 * len(codes) == db.exec(select(func.count()).select_from(Slot)).one()
    assert counts["audit_event"] > 35

    # The stages are the seed's: student i's slots replay benchdata.slot_statuses(seed, i, ...).
    students = students_of_run(db, 0)
    assert len(students) == 30
    for index, student_id in enumerate(students):
        stored = dict(db.exec(select(Slot.eindterm_code, Slot.status).where(Slot.student_id == student_id)).all())
        assert [stored[c] for c in codes] == benchdata.slot_statuses(SEED, index, len(codes))
    statuses = Counter(db.exec(select(Slot.status)).all())
    assert set(statuses) == {stage for stage, _ in benchdata.STAGES}  # 1,680 slots: every stage occurs
    # On average 3 bewijsstukken per slot over all slots, the empty ones included (3.75 per non-empty slot); a
    # sample of 30 students leans a little with their pace.
    mean = db.exec(select(func.avg(Slot.evidence_count))).one()
    filled = db.exec(select(func.avg(Slot.evidence_count)).where(Slot.status != "leeg")).one()
    assert 2.7 <= float(mean) <= 3.3 and 3.5 <= float(filled) <= 4.0

    # Every submission holds existing versions of the student's own evidence, linked to its eindterm.
    versions = {
        v.id: (e.student_id, v)
        for v, e in db.exec(
            select(EvidenceVersion, Evidence).join(Evidence, col(Evidence.id) == EvidenceVersion.evidence_id)
        )
    }
    linked = set(db.exec(select(EvidenceLink.version_id, EvidenceLink.eindterm_code)).all())
    submissions = {s.id: s for s in db.exec(select(Submission)).all()}
    assert submissions
    for submission in submissions.values():
        assert submission.version_ids and submission.version_ids == sorted(submission.version_ids)
        for version_id in submission.version_ids:
            owner, version = versions[version_id]
            assert owner == submission.student_id
            assert (version_id, submission.eindterm_code) in linked
            assert version.created_at <= submission.submitted_at

    # Slots point at their submission; decisions and scores match the stage.
    sign_offs = {s.submission_id: s for s in db.exec(select(SignOff)).all()}
    assessments = {a.submission_id: a for a in db.exec(select(Assessment)).all()}
    expected_decision = {"terug": "terug", "afgetekend": "afgetekend", "beoordeeld": "afgetekend"}
    expected_decision["niet_mogelijk"] = "niet_mogelijk"
    for slot in db.exec(select(Slot)).all():
        if slot.status in {"leeg", "concept"}:
            assert slot.submission_id is None and slot.score is None
            assert (slot.evidence_count == 0) == (slot.status == "leeg")
            continue
        assert slot.submission_id is not None
        submission = submissions[slot.submission_id]
        assert (submission.student_id, submission.eindterm_code) == (slot.student_id, slot.eindterm_code)
        if slot.status == "ter_aftekening":
            assert slot.submission_id not in sign_offs
        else:
            assert sign_offs[slot.submission_id].decision == expected_decision[slot.status]
        if slot.status == "beoordeeld":
            assessment = assessments[slot.submission_id]
            assert assessment.score == slot.score and assessment.student_id == slot.student_id
            assert assessment.score in {"onvoldoende", "voldoende", "goed"}
        else:
            assert slot.submission_id not in assessments and slot.score is None

    # evidence_count is what refresh_slots counts: koppelingen of the latest versions.
    latest_links = Counter(
        db.exec(
            select(Evidence.student_id, EvidenceLink.eindterm_code)
            .join(EvidenceVersion, col(EvidenceVersion.id) == EvidenceLink.version_id)
            .join(Evidence, col(Evidence.id) == EvidenceVersion.evidence_id)
            .where(EvidenceVersion.number == Evidence.latest_version)
        ).all()
    )
    for student_id, code, count in db.exec(select(Slot.student_id, Slot.eindterm_code, Slot.evidence_count)).all():
        assert latest_links.get((student_id, code), 0) == count

    assert verify_chain(db).ok

    with pytest.raises(benchdata.DatabaseNotEmpty):
        generate(app, db)


def test_same_seed_same_portfolios(app: FastAPI, db: Session) -> None:
    first = generate(app, db)
    second = generate(app, db, force=True)  # next to the first run: same seed, new people
    # The coordinator account is reused by the second run, the rest is written again.
    assert {k: v for k, v in first.items() if k not in {"user_account", "user_role", "audit_event"}} == {
        k: v for k, v in second.items() if k not in {"user_account", "user_role", "audit_event"}
    }
    assert second["user_account"] == first["user_account"] - 1
    run_one, run_two = students_of_run(db, 0), students_of_run(db, 1)
    assert set(run_one).isdisjoint(run_two)
    assert portfolios(db, run_one) == portfolios(db, run_two)
    other = generate(app, db, seed=SEED + 1, force=True)
    assert portfolios(db, students_of_run(db, 2)) != portfolios(db, run_one)
    assert other["slot"] == first["slot"]
    assert verify_chain(db).ok  # three runs appended to one chain


def test_the_coordinator_sees_the_overview(app: FastAPI, db: Session, client: Browser) -> None:
    generate(app, db)
    cohort = db.exec(select(Cohort).order_by(col(Cohort.id))).first()
    assert cohort is not None
    login(client, benchdata.COORDINATOR_EMAIL, benchdata.PASSWORD)
    page = client.get(f"/cohorten/{cohort.id}/overzicht")
    assert page.status_code == 200
    assert page.text.count('class="cell status-') >= 10 * len(codes_of(app))
    progress = client.get(f"/api/v1/cohorts/{cohort.id}/progress?size=100").json()
    assert progress["total"] == 10
