"""The gereedheidsbesluit (four eyes), the sealed portfolio refusing every change, reopening, and the dossier."""

import hashlib
import io
import json
import re
import zipfile

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.assessment import service as assessment
from app.errors import Forbidden
from app.evidence import service as evidence
from app.evidence.models import Blob, Evidence, Submission
from app.readiness import dossier as dossier_service
from app.readiness import seal
from app.readiness import service as readiness
from app.signoff import service as signoff
from tests.conftest import Browser, World, csrf_token, login
from tests.test_evidence import PDF
from tests.test_signoff import student_actor


def complete_portfolio(app: FastAPI, db: Session, world: World) -> None:
    """One bewijsstuk (with a file) for all 56 eindtermen, signed off and scored voldoende."""
    import hashlib as h

    from app.storage import SpooledFile

    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    codes = [e.code for e in framework.eindtermen]
    actor = student_actor(world)
    path = app.state.storage.spool_dir() / "bewijs.part"
    path.write_bytes(PDF)
    spooled = SpooledFile(
        path=path,
        size=len(PDF),
        sha256=h.sha256(PDF).hexdigest(),
        original_name="verslag.pdf",
        field_name="files",
        declared_content_type="application/pdf",
        head=PDF,
    )
    data = evidence.EvidenceInput(
        title="Eindverslag",
        activity_date="2026-06-01",
        kind="verslag",
        privacy_confirmed=True,
        eindtermen={c: f"Toont {c} aan." for c in codes},
    )
    evidence.save_evidence(
        db, actor=actor, registry=app.state.frameworks, storage=app.state.storage, data=data, files=[spooled]
    )
    made = evidence.submit_slots(db, actor=actor, registry=app.state.frameworks, codes=codes)
    decider = signoff.Decider(user_id=world.supervisor.id or 0, name="Sandra Mulder", email=world.supervisor.email)
    for submission in made:
        signoff.decide(db, decider=decider, submission_id=submission.id or 0, decision="afgetekend")
    assessor = accounts.actor_for(db, user_id=world.assessor.id or 0)
    for code in codes:
        assessment.score(
            db,
            actor=assessor,
            registry=app.state.frameworks,
            student_id=world.student.id or 0,
            code=code,
            score="voldoende",
            feedback="Voldoende aangetoond.",
        )
    db.commit()


def seal_it(app: FastAPI, db: Session, world: World) -> None:
    coordinator = accounts.actor_for(db, user_id=world.coordinator.id or 0)
    readiness.record_decision(db, actor=coordinator, student=world.student, registry=app.state.frameworks)
    assessor = accounts.actor_for(db, user_id=world.assessor.id or 0)
    readiness.confirm_decision(db, actor=assessor, student=world.student, registry=app.state.frameworks)
    db.commit()


def test_four_eyes_decision_seals_the_portfolio(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    coordinator = accounts.actor_for(db, user_id=world.coordinator.id or 0)
    with pytest.raises(Exception, match="Nog niet aan alle eisen voldaan"):
        readiness.record_decision(db, actor=coordinator, student=world.student, registry=app.state.frameworks)
    db.rollback()
    complete_portfolio(app, db, world)
    login(client, world.coordinator.email)
    assert client.post(f"/studenten/{world.student.id}/gereedheid/besluit").status_code == 303
    assert not seal.is_sealed(db, student_id=world.student.id or 0)
    own = client.post(f"/studenten/{world.student.id}/gereedheid/bevestiging")
    assert own.status_code == 403 and "tweede medewerker" in own.text
    with pytest.raises(Forbidden):
        readiness.confirm_decision(db, actor=coordinator, student=world.student, registry=app.state.frameworks)
    db.rollback()
    assessor = client.__class__(app, follow_redirects=False)
    assessor.app_ref = app
    login(assessor, world.assessor.email)
    assert assessor.post(f"/studenten/{world.student.id}/gereedheid/bevestiging").status_code == 303
    assert seal.is_sealed(db, student_id=world.student.id or 0)
    page = client.get(f"/studenten/{world.student.id}/gereedheid").text
    assert "Verzegeld." in page


# Mutating routes that do not change a portfolio's content (accounts, cohorts, invitations, the decision itself).
NOT_PORTFOLIO_CONTENT = {
    "/login",
    "/logout",
    "/taal",
    "/wachtwoord-vergeten",
    "/aftekenlink",
    "/wachtwoord-herstellen/{token}",
    "/activeren/{token}",
    "/beheer/gebruikers",
    "/beheer/gebruikers/{user_id}/blokkeren",
    "/beheer/gebruikers/{user_id}/deblokkeren",
    "/beheer/gebruikers/{user_id}/tweede-factor-resetten",
    "/tweede-factor",
    "/tweede-factor/instellen",
    "/account/tweede-factor/herstelcodes",
    "/account/tweede-factor/uitzetten",
    "/cohorten",
    "/cohorten/{cohort_id}/import",
    "/cohorten/{cohort_id}/studenten/{student_id}/begeleiding",
    "/cohorten/{cohort_id}/studenten/{student_id}/uitnodigen",
    "/cohorten/{cohort_id}/studenten/{student_id}/links-intrekken",
    "/cohorten/{cohort_id}/studenten/{student_id}/welkomstmail",
    "/cohorten/{cohort_id}/begeleiders/{staff_id}/welkomstmail",
    "/portfolio/praktijkbegeleider",
    "/koppelingen/{assignment_id}/goedkeuren",
    "/koppelingen/{assignment_id}/afwijzen",
    "/aftekenen/meldingen",
    "/link/{token}/bevestigen",
    "/link/{token}/account",
    "/link/{token}/meldingen",
    "/studenten/{student_id}/gereedheid/besluit",
    "/studenten/{student_id}/gereedheid/bevestiging",
    "/studenten/{student_id}/gereedheid/heropening",
    "/studenten/{student_id}/dossier",
    "/portfolio/export",  # an export of one's own data reads the portfolio, it does not change it
    "/beheer/export",
    "/cohorten/{cohort_id}/studenten/{student_id}/uitschrijving",  # leaving the programme: an enrolment date
    # Erasure on request (AVG) deliberately reaches into a sealed portfolio: its files go, while the decision,
    # the scores and the dossier's hash manifest stay (tests/test_erasure.py proves both).
    "/beheer/personen/{user_id}/verwijderen",
    # Praktijkuren are not portfolio content: the dossier does not contain them, and they keep counting towards
    # the register's 1,400 hours after the diploma. Approved hours are final (never withdrawn), so logging or
    # deciding hours after the seal can only add to the approved total: the sealed verdict cannot become untrue.
    # The programme's minimum praktijkuren is a setting of the whole programme (as `portfolio programme-hours`),
    # not one student's portfolio; the recorded gereedheidsbesluit stays as it was recorded.
    "/opleidingen/{programme_id}/praktijkuren",
    # Which institutions may sign in with a school account is a setting of the whole programme, not portfolio
    # content: a sealed student can still sign in.
    "/opleidingen/{programme_id}/schoolaccounts",
    "/praktijkuren",
    "/praktijkuren/week",
    "/praktijkuren/{entry_id}/verwijderen",
    "/aftekenen/uren/week",
    "/aftekenen/uren/{entry_id}/terug",
    "/link/{token}/uren/week",
    "/link/{token}/uren/{entry_id}/terug",
    "/api/v1/students/{student_id}/hours",
    # Deskundigheidsbevordering and diplomas are for the register, not for the exam committee's dossier: the
    # student keeps logging them after the diploma (tests/test_development.py proves the log stays open).
    "/portfolio/ontwikkeling",
    "/portfolio/ontwikkeling/{development_id}/correctie",
    "/portfolio/ontwikkeling/{development_id}/intrekken",
    # LTI (app/lti): registering platforms, the tool's keys and a course's cohort are settings of the whole
    # installation; a launch only signs a student in (a sealed student can still open their portfolio).
    "/beheer/lti",
    "/beheer/lti/{platform_id}",
    "/beheer/lti/cursussen/{context_id}",
    "/beheer/lti/sleutels",
    "/beheer/lti/sleutels/{key_id}/intrekken",
    "/lti/login",
    "/lti/launch",
}


def test_a_sealed_portfolio_refuses_every_change(app: FastAPI, db: Session, world: World, client_factory) -> None:  # type: ignore[no-untyped-def]
    complete_portfolio(app, db, world)
    seal_it(app, db, world)
    evidence_id = db.exec(select(Evidence.id)).one()
    submission_id = db.exec(select(Submission.id)).first()
    token = signoff.create_link(
        db, supervisor_id=world.supervisor.id or 0, created_by_id=None, settings=app.state.settings
    )
    link = db.exec(select(signoff.SupervisorLink)).one()
    link.confirmed_at = link.created_at
    world.supervisor.identity_confirmed_at = link.created_at  # confirmed once, as a person
    db.add_all([link, world.supervisor])
    db.commit()
    valid_evidence = {
        "title": "Nog iets",
        "activity_date": "2026-06-02",
        "kind": "verslag",
        "privacy": "ja",
        "eindterm": "IA-a",
        "onderbouwing_IA-a": "x",
    }
    sid = world.student.id
    attempts = {
        "/bewijs": (world.student, "form", valid_evidence),
        "/bewijs/{evidence_id}": (world.student, "form", valid_evidence),
        "/portfolio/indienen": (world.student, "form", {"eindterm": "IA-a"}),
        "/api/v1/evidence": (world.student, "form", valid_evidence),
        "/api/v1/evidence/{evidence_id}/versions": (world.student, "form", valid_evidence),
        "/api/v1/submissions": (world.student, "json", {"eindtermen": ["IA-a"]}),
        "/aftekenen": (world.supervisor, "form", {"verzoek": str(submission_id), f"bevestig_{submission_id}": "ja"}),
        "/aftekenen/{submission_id}": (world.supervisor, "form", {"besluit": "terug", "toelichting": "x"}),
        "/api/v1/submissions/{submission_id}/decision": (
            world.supervisor,
            "json",
            {"decision": "terug", "comment": "x"},
        ),
        "/link/{token}": (None, "form", {"verzoek": str(submission_id), f"bevestig_{submission_id}": "ja"}),
        "/aftekenen/studenten/{student_id}/alles": (
            world.supervisor,
            "form",
            {"stap": "bevestigen", "verzoek": str(submission_id), "bevestig_alle": "ja"},
        ),
        "/link/{token}/studenten/{student_id}/alles": (
            None,
            "form",
            {"stap": "bevestigen", "verzoek": str(submission_id), "bevestig_alle": "ja"},
        ),
        "/link/{token}/verzoeken/{submission_id}": (None, "form", {"besluit": "terug", "toelichting": "x"}),
        "/studenten/{student_id}/eindtermen/{code}/beoordeling": (
            world.assessor,
            "form",
            {"score": "goed", "feedback": "Herzien."},
        ),
        "/api/v1/students/{student_id}/eindtermen/{code}/assessments": (
            world.assessor,
            "json",
            {"score": "goed", "feedback": "Herzien."},
        ),
        "/studenten/{student_id}/eindtermen/{code}/vervangende-opdracht": (
            world.coordinator,
            "form",
            {"omschrijving": "x"},
        ),
    }
    from fastapi.routing import iter_route_contexts

    mutating = sorted(
        {
            ctx.path
            for ctx in iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute) and set(ctx.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}
        }
    )
    unclassified = [p for p in mutating if p not in attempts and p not in NOT_PORTFOLIO_CONTENT]
    assert unclassified == [], f"classify these mutating routes for the seal test: {unclassified}"
    values = {
        "evidence_id": str(evidence_id),
        "submission_id": str(submission_id),
        "token": token,
        "student_id": str(sid),
        "code": "IA-a",
    }
    counts_before = {
        table: len(db.exec(select(model)).all())
        for table, model in {"evidence": Evidence, "blob": Blob, "submission": Submission}.items()
    }
    for path, (who, kind, body) in attempts.items():
        browser = client_factory()
        if who is not None:
            login(browser, who.email)
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        headers = {"X-CSRF-Token": csrf_token(browser, app)}
        if kind == "json":
            response = browser.post(url, json=body, headers=headers)
        elif path in {
            "/bewijs",
            "/bewijs/{evidence_id}",
            "/api/v1/evidence",
            "/api/v1/evidence/{evidence_id}/versions",
        }:
            response = browser.post(
                url, data=body, files=[("files", ("a.pdf", PDF, "application/pdf"))], headers=headers
            )
        else:
            response = browser.post(url, data=body, headers=headers)
        assert response.status_code == 409, (path, response.status_code, response.text[:300])
        assert "verzegeld" in response.text, path
    db.expire_all()
    assert counts_before == {
        table: len(db.exec(select(model)).all())
        for table, model in {"evidence": Evidence, "blob": Blob, "submission": Submission}.items()
    }
    # A recorded reopening with a reason lets changes through again.
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    assert coordinator.post(f"/studenten/{sid}/gereedheid/heropening", data={"reden": ""}).status_code == 422
    assert (
        coordinator.post(
            f"/studenten/{sid}/gereedheid/heropening", data={"reden": "Bezwaar van de student toegekend."}
        ).status_code
        == 303
    )
    assessor = accounts.actor_for(db, user_id=world.assessor.id or 0)
    assessment.score(
        db,
        actor=assessor,
        registry=app.state.frameworks,
        student_id=sid or 0,
        code="IA-a",
        score="goed",
        feedback="Herzien na heropening.",
    )
    db.commit()
    assert not seal.is_sealed(db, student_id=sid or 0)
    history = [e.kind for e, _ in readiness.decision_history(db, student_id=sid or 0)]
    assert history == ["besluit", "bevestiging", "heropening"]


def test_the_dossier_renders_and_its_manifest_matches_the_files(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    complete_portfolio(app, db, world)
    login(client, world.coordinator.email)
    started = client.post(f"/studenten/{world.student.id}/dossier")
    assert started.status_code == 303
    page = client.get(started.headers["location"])
    assert page.status_code == 200 and "Het dossier is klaar." in page.text
    dossier = dossier_service.dossiers_of(db, student_id=world.student.id or 0)[0]
    pdf = client.get(f"{started.headers['location']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Lotte de Vries" in text and "IA-a" in text and "Sandra Mulder" in text and "voldoende" in text
    # One date format in the PDF too: written out, never numeric (#16 item 19).
    assert not re.search(r"\b\d{1,2}-\d{1,2}-\d{4}\b|\b\d{4}-\d{2}-\d{2}\b", text), text
    months = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    assert re.search(rf"\b\d{{1,2}} ({months}) \d{{4}}", text)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{started.headers['location']}/zip").content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest and manifest == dossier.manifest
    stored = {b.sha256 for b in db.exec(select(Blob)).all()}
    for entry in manifest:
        content = archive.read(entry["bestand"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"] == entry["opgeslagen_sha256"]
        assert entry["sha256"] in stored
    assert archive.read("dossier.pdf") == pdf.content


def test_a_demo_students_dossier_renders_with_matching_hashes(app: FastAPI, db: Session) -> None:
    from app import demo
    from app.accounts.models import User

    assert demo.seed_if_empty(db, storage=app.state.storage)
    db.commit()
    lotte = db.exec(select(User).where(User.email == "lotte@demo.jobcoach.nl")).one()
    coordinator = db.exec(select(User).where(User.email == "coordinator@demo.jobcoach.nl")).one()
    made = dossier_service.request_dossier(db, actor_id=coordinator.id or 0, student_id=lotte.id or 0)
    db.commit()
    dossier_service.build(app.state.engine, app.state.storage, app.state.frameworks, made.id or 0)
    db.expire_all()
    built = dossier_service.dossiers_of(db, student_id=lotte.id or 0)[0]
    assert built.status == "klaar" and built.progress == 100 and built.manifest
    stored = {b.sha256 for b in db.exec(select(Blob).where(Blob.student_id == lotte.id)).all()}
    assert {m["sha256"] for m in built.manifest} <= stored
    from pypdf import PdfReader

    pdf = b"".join(app.state.storage.open_chunks(built.pdf_key or ""))
    assert "Lotte de Vries" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_a_sealed_portfolio_looks_sealed(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    """#16 item 9: a banner with the decision's date and who decided, and no add/edit/submit controls."""
    from app.web import format_date

    complete_portfolio(app, db, world)
    login(client, world.student.email)
    before = client.get("/portfolio").text
    assert 'href="/bewijs/nieuw"' in before and "Verzegeld" not in before
    seal_it(app, db, world)
    info = seal.seal_info(db, student_id=world.student.id or 0)
    assert info is not None and info.decided_by == world.coordinator.name
    banner = f"gereedheidsbesluit van {format_date(info.decided_at)} door {world.coordinator.name}"
    code = app.state.frameworks.get("bvjn-eindtermen", "2012").eindtermen[0].code
    for path in ("/portfolio", f"/studenten/{world.student.id}/eindtermen/{code}"):
        page = client.get(path).text
        assert "Verzegeld" in page and banner in page, path
        assert "/bewijs/nieuw" not in page and 'name="eindterm"' not in page, path
        assert 'class="submit-bar"' not in page and "Indienen ter aftekening" not in page, path
    # The form itself, opened by URL or in a tab from before the seal, says so before anything is typed.
    form = client.get("/bewijs/nieuw").text
    assert "Verzegeld" in form and banner in form
    login(client, world.coordinator.email)
    staff = client.get(f"/studenten/{world.student.id}").text
    assert banner in staff
    login(client, world.assessor.email)
    slot = client.get(f"/studenten/{world.student.id}/eindtermen/{code}").text
    assert banner in slot and "Beoordeling vastleggen" not in slot
