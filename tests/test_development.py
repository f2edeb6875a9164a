"""Deskundigheidsbevordering (98 h / 3.5 EC), methods as evidence tags, and the register readiness overview + PDF."""

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.development import register
from app.development import service as development
from app.development.models import DevelopmentEntry, DevelopmentWithdrawal, EntryKind, EvidenceMethod
from app.evidence.models import Blob, Evidence, EvidenceVersion
from app.framework.beroepsprofiel import TrainingRequirement
from tests.conftest import Browser, World, login
from tests.test_evidence import PDF, form_fields

# --- the 98-hour / 3.5-EC check, table-driven --------------------------------------------------------------------

REQUIREMENT = TrainingRequirement(
    key="jobcoachopleiding",
    toets="jobcoachopleiding",
    titel="t",
    omschrijving="o",
    bron="b",
    diploma_na=date(2013, 7, 1),
    minimum_uren=Decimal(98),
    minimum_ec=Decimal("3.5"),
)


def entry(
    id: int,
    *,
    hours: str | None = None,
    ec: str | None = None,
    cert: bool = True,
    kind: str = "cursus",
    replaces: int | None = None,
) -> DevelopmentEntry:
    return DevelopmentEntry(
        id=id,
        student_id=1,
        kind=kind,
        title=f"cursus {id}",
        provider="p",
        entry_date=date(2025, 1, 1),
        hours=Decimal(hours) if hours is not None else None,
        ec=Decimal(ec) if ec is not None else None,
        blob_id=100 + id if cert else None,
        replaces_id=replaces,
        created_by=1,
    )


@pytest.mark.parametrize(
    ("label", "entries", "withdrawn", "hours", "ec", "met", "without_certificate"),
    [
        ("niets", [], [], "0", "0", False, "0"),
        ("uren precies genoeg", [entry(1, hours="98")], [], "98", "3.5", True, "0"),
        ("uren net te weinig", [entry(1, hours="97.75")], [], "97.75", "3.49", False, "0"),
        ("uren opgeteld", [entry(1, hours="50"), entry(2, hours="48")], [], "98", "3.5", True, "0"),
        ("EC precies genoeg", [entry(1, ec="3.5")], [], "98", "3.5", True, "0"),
        ("EC te weinig", [entry(1, ec="3")], [], "84", "3", False, "0"),
        ("gemengd uren en EC", [entry(1, hours="50"), entry(2, ec="1.75")], [], "99", "3.54", True, "0"),
        ("gemengd te weinig", [entry(1, hours="20"), entry(2, ec="2.75")], [], "97", "3.46", False, "0"),
        ("uren en EC op één regel: uren tellen", [entry(1, hours="10", ec="3.5")], [], "10", "0.36", False, "0"),
        ("ingetrokken telt niet", [entry(1, hours="98"), entry(2, hours="20")], [1], "20", "0.71", False, "0"),
        ("alles ingetrokken", [entry(1, ec="4")], [1], "0", "0", False, "0"),
        ("correctie vervangt", [entry(1, hours="40"), entry(2, hours="98", replaces=1)], [], "98", "3.5", True, "0"),
        ("ingetrokken correctie", [entry(1, hours="98"), entry(2, hours="10", replaces=1)], [2], "0", "0", False, "0"),
        ("zonder certificaat telt niet", [entry(1, hours="98", cert=False)], [], "0", "0", False, "98"),
        ("diploma telt niet als uren", [entry(1, hours="98", kind="hbo_diploma")], [], "0", "0", False, "0"),
    ],
)
def test_professional_development_total(
    label: str,
    entries: list[DevelopmentEntry],
    withdrawn: list[int],
    hours: str,
    ec: str,
    met: bool,
    without_certificate: str,
) -> None:
    total = development.pe_total(entries, withdrawn=withdrawn, requirement=REQUIREMENT)
    assert total.hours == Decimal(hours), label
    assert total.ec == Decimal(ec).quantize(Decimal("0.01")), label
    assert total.met is met, label
    assert total.without_certificate == Decimal(without_certificate), label


def test_the_ratio_comes_from_the_data() -> None:
    other = REQUIREMENT.model_copy(update={"minimum_uren": Decimal(60), "minimum_ec": Decimal(2)})
    total = development.pe_total([entry(1, ec="2")], withdrawn=[], requirement=other)
    assert total.hours == Decimal(60) and total.met


# --- the log through the pages -----------------------------------------------------------------------------------


def course(**overrides: str) -> dict[str, str]:
    fields = {
        "kind": "cursus",
        "title": "Motivational Interviewing",
        "provider": "MI Academie",
        "entry_date": "2025-05-01",
        "hours": "",
        "ec": "",
        "note": "",
    }
    fields.update(overrides)
    return fields


def add(client: Browser, fields: dict[str, str], *, file: bytes | None = PDF, name: str = "certificaat.pdf") -> Any:
    files = [("files", (name, file, "application/pdf"))] if file is not None else []
    if files:
        return client.post("/portfolio/ontwikkeling", data=fields, files=files)
    return client.post("/portfolio/ontwikkeling", data=fields)


def test_student_logs_courses_in_hours_and_ec(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    assert add(client, course(hours="24")).status_code == 303
    assert add(client, course(title="Supported Employment", ec="2,5")).status_code == 303
    page = client.get("/portfolio/ontwikkeling")
    assert page.status_code == 200
    assert "Supported Employment" in page.text and "70 uur" in page.text  # 2.5 EC × 28 h
    assert "94 van 98 uur" in page.text
    entries = db.exec(select(DevelopmentEntry)).all()
    assert [(e.hours, e.ec) for e in entries] == [(Decimal("24.00"), None), (None, Decimal("2.50"))]
    blobs = db.exec(select(Blob)).all()
    assert len(blobs) == 2 and all(b.kind == "pdf" and b.student_id == world.student.id for b in blobs)
    stored = b"".join(app.state.storage.open_chunks(blobs[0].key))
    assert stored == PDF


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (course(), "hours", "Vul de studielast in"),
        (course(hours="veel"), "hours", "als getal"),
        (course(ec="-1"), "ec", "groter dan 0"),
        (course(title=""), "title", "Vul de titel in"),
        (course(provider="", hours="3"), "provider", "wie de cursus gaf"),
        (course(entry_date="2999-01-01", hours="3"), "entry_date", "toekomst"),
        (course(kind="iets", hours="3"), "kind", "Kies wat voor registratie"),
    ],
)
def test_invalid_entries_are_refused_with_the_reason(
    db: Session, world: World, client: Browser, fields: dict[str, str], field: str, message: str
) -> None:
    login(client, world.student.email)
    response = add(client, fields)
    assert response.status_code == 422
    assert message in response.text
    assert db.exec(select(DevelopmentEntry)).all() == []
    assert db.exec(select(Blob)).all() == []


def test_a_certificate_is_checked_by_content(db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    response = add(client, course(hours="8"), file=b"MZ\x90\x00 not a pdf at all", name="certificaat.pdf")
    assert response.status_code == 422
    assert db.exec(select(DevelopmentEntry)).all() == []


def test_degree_certificates_are_entries_too(db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    fields = course(kind="hbo_diploma", title="Bachelor Social Work", provider="Hogeschool", hours="500")
    assert add(client, fields).status_code == 303
    saved = db.exec(select(DevelopmentEntry)).one()
    assert saved.kind == EntryKind.hbo_diploma.value and saved.hours is None  # a diploma has no study hours here
    page = client.get("/portfolio/ontwikkeling").text
    assert "Bachelor Social Work" in page and "0 van 98 uur" in page


def test_correction_and_withdrawal_keep_the_history(db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    add(client, course(hours="40"))
    first = db.exec(select(DevelopmentEntry)).one()
    form = client.get(f"/portfolio/ontwikkeling/{first.id}/corrigeren")
    assert form.status_code == 200 and 'value="40,00"' in form.text
    corrected = client.post(
        f"/portfolio/ontwikkeling/{first.id}/correctie", data={**course(hours="98"), "keep_certificate": "ja"}
    )
    assert corrected.status_code == 303
    db.expire_all()
    second = db.exec(select(DevelopmentEntry).where(DevelopmentEntry.replaces_id == first.id)).one()
    assert second.blob_id == first.blob_id and second.hours == Decimal("98.00")
    old = db.get(DevelopmentEntry, first.id)
    assert old is not None and old.hours == Decimal("40.00")  # the old row is unchanged
    assert "98 van 98 uur" in client.get("/portfolio/ontwikkeling").text
    # The replaced entry cannot be corrected again (the newest version can).
    again = client.post(f"/portfolio/ontwikkeling/{first.id}/correctie", data=course(hours="12"))
    assert again.status_code == 409
    assert client.post(f"/portfolio/ontwikkeling/{second.id}/intrekken", data={"reden": ""}).status_code == 422
    withdrawn = client.post(f"/portfolio/ontwikkeling/{second.id}/intrekken", data={"reden": "Dubbel ingevoerd."})
    assert withdrawn.status_code == 303
    assert client.post(f"/portfolio/ontwikkeling/{second.id}/intrekken", data={"reden": "nog eens"}).status_code == 409
    page = client.get("/portfolio/ontwikkeling").text
    assert "0 van 98 uur" in page
    assert "Dubbel ingevoerd." in page and "gecorrigeerd" in page  # the history shows both
    assert len(db.exec(select(DevelopmentEntry)).all()) == 2
    assert len(db.exec(select(DevelopmentWithdrawal)).all()) == 1


def test_entries_are_append_only(db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    add(client, course(hours="4"))
    saved = db.exec(select(DevelopmentEntry)).one()
    saved.hours = Decimal(400)
    db.add(saved)
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()


def test_staff_in_scope_see_the_log_and_certificates_others_do_not(
    db: Session, world: World, client_factory: Any
) -> None:
    student = client_factory()
    login(student, world.student.email)
    add(student, course(hours="12"))
    saved = db.exec(select(DevelopmentEntry)).one()
    url = f"/studenten/{world.student.id}/ontwikkeling"
    for person, status in [
        (world.coordinator, 200),
        (world.supervisor, 200),
        (world.assessor, 200),
        (world.other_coordinator, 404),
        (world.other_student, 404),
    ]:
        browser = client_factory()
        login(browser, person.email)
        assert browser.get(url).status_code == status, person.email
        download = browser.get(f"{url}/{saved.id}/certificaat")
        assert download.status_code == status, person.email
        if status == 200:
            assert download.content == PDF and download.headers["content-disposition"].startswith("attachment;")
            assert "Corrigeren of intrekken" not in browser.get(url).text  # staff only read
    # Another student's entry through one's own URL: 404.
    other = client_factory()
    login(other, world.other_student.email)
    assert other.get(f"/portfolio/ontwikkeling/{saved.id}/corrigeren").status_code == 404
    assert other.post(f"/portfolio/ontwikkeling/{saved.id}/intrekken", data={"reden": "x"}).status_code == 404


# --- methods as tags -----------------------------------------------------------------------------------------------


def save_evidence(client: Browser, **overrides: object) -> Any:
    return client.post("/bewijs", data=form_fields(**overrides), files=[("files", ("a.pdf", PDF, "application/pdf"))])


def test_evidence_is_tagged_with_methods_per_version(db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    form = client.get("/bewijs/nieuw").text
    assert 'name="methode" value="motivational-interviewing"' in form and "Motivational Interviewing" in form
    created = save_evidence(client, methode=["ips", "nlp"])
    assert created.status_code == 303, created.text
    evidence_id = int(created.headers["location"].rsplit("/", 1)[1])
    detail = client.get(f"/bewijs/{evidence_id}").text
    assert "Individual Placement and Support (IPS)" in detail
    edit = client.get(f"/bewijs/{evidence_id}/bewerken").text
    assert 'value="ips" checked' in edit and 'value="var" >' in edit
    revised = client.post(f"/bewijs/{evidence_id}", data=form_fields(methode=["var"]))
    assert revised.status_code == 303
    versions = db.exec(select(EvidenceVersion).order_by(col(EvidenceVersion.number))).all()
    tags = {
        v.number: sorted(m.method_key for m in db.exec(select(EvidenceMethod).where(EvidenceMethod.version_id == v.id)))
        for v in versions
    }
    assert tags == {1: ["ips", "nlp"], 2: ["var"]}  # the first version keeps its tags
    api = client.get(f"/api/v1/evidence/{evidence_id}").json()
    assert [v["methods"] for v in api["versions"]] == [["var"], ["ips", "nlp"]]


def test_an_unknown_method_is_refused(db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    response = save_evidence(client, methode=["ips", "astrologie"])
    assert response.status_code == 422 and "Onbekende methode: astrologie" in response.text
    assert db.exec(select(EvidenceVersion)).all() == []


def test_methods_section_follows_visibility(app: FastAPI, world: World, client_factory: Any) -> None:
    student = client_factory()
    login(student, world.student.email)
    created = save_evidence(student, title="Werkplekanalyse met IPS", methode=["ips"])
    assert created.status_code == 303
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)

    def ips_line(browser: Browser, url: str) -> str:
        page = browser.get(url).text
        start = page.index('data-method="ips"')
        return page[start : page.index("</li>", start)]

    assert "Werkplekanalyse met IPS" in ips_line(student, "/portfolio/register")
    assert "(concept)" in ips_line(student, "/portfolio/register")  # the student's draft is marked as such
    # A draft is the student's own: staff see it only once submitted.
    assert "Werkplekanalyse met IPS" not in ips_line(coordinator, f"/studenten/{world.student.id}/register")
    assert student.post("/portfolio/indienen", data={"eindterm": "IA-a"}).status_code == 303
    assert "Werkplekanalyse met IPS" in ips_line(coordinator, f"/studenten/{world.student.id}/register")
    assert "(concept)" not in ips_line(student, "/portfolio/register")
    # Methods without evidence are listed too.
    page = coordinator.get(f"/studenten/{world.student.id}/register").text
    start = page.index('data-method="var"')
    assert "nog niet in bewijs" in page[start : page.index("</li>", start)]


# --- the register overview -----------------------------------------------------------------------------------------


def approve_hours(db: Session, world: World, hours: str) -> None:
    """Approved praktijkuren, as the hours module stores them (entries of at most a day, each approved)."""
    from datetime import timedelta

    from app.hours.models import HoursDecision, PracticeHours

    left = Decimal(hours)
    day = date(2026, 3, 2) - timedelta(days=db.exec(select(PracticeHours)).all().__len__())
    while left > 0:
        amount = min(left, Decimal(24))
        left -= amount
        entry = PracticeHours(student_id=world.student.id or 0, work_date=day, hours=amount, activity="x")
        day -= timedelta(days=1)
        db.add(entry)
        db.flush()
        db.add(
            HoursDecision(
                entry_id=entry.id or 0,
                student_id=world.student.id or 0,
                decision="goedgekeurd",
                decided_by_name="Sandra Mulder",
                decided_by_email=world.supervisor.email,
                decided_by_id=world.supervisor.id,
            )
        )
    db.commit()


def statuses(app: FastAPI, db: Session, world: World, own: bool = True) -> dict[str, str]:
    view = register.overview(db, student=world.student, registry=app.state.frameworks, own=own)
    return {r.requirement.key: r.status for r in view.requirements}


def test_register_statuses_follow_the_proof(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    assert statuses(app, db, world) == {
        "opleidingsniveau": "onbekend",
        "jobcoachopleiding": "nog_niet",
        "werkervaring": "onbekend",
        "beroepservaring": "nog_niet",
    }
    login(client, world.student.email)
    add(client, course(kind="hbo_diploma", title="Bachelor Social Work", provider="Hogeschool"))
    add(client, course(hours="60"))
    add(client, course(title="Zonder certificaat", ec="2"), file=None)
    approve_hours(db, world, "1399.75")
    db.expire_all()
    view = register.overview(db, student=world.student, registry=app.state.frameworks, own=True)
    by_key = {r.requirement.key: r for r in view.requirements}
    assert by_key["opleidingsniveau"].status == "voldaan"
    assert by_key["opleidingsniveau"].proof[0].url is not None
    assert by_key["jobcoachopleiding"].status == "nog_niet"
    assert (
        "60 van 98 uur" in by_key["jobcoachopleiding"].summary
        and "56 uur telt pas mee" in by_key["jobcoachopleiding"].summary
    )
    assert by_key["beroepservaring"].status == "nog_niet" and by_key["beroepservaring"].value == Decimal("1399.75")
    approve_hours(db, world, "0.25")
    add(client, course(title="IPS", ec="1.5"))  # 60 + 42 ≥ 98
    db.expire_all()
    assert statuses(app, db, world) == {
        "opleidingsniveau": "voldaan",
        "jobcoachopleiding": "voldaan",
        "werkervaring": "onbekend",
        "beroepservaring": "voldaan",
    }


def test_the_diploma_decision_meets_the_training_requirement(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    from app.readiness import seal
    from app.readiness import service as readiness
    from tests.test_readiness_decision import complete_portfolio

    complete_portfolio(app, db, world)
    coordinator = accounts.actor_for(db, user_id=world.coordinator.id or 0)
    readiness.record_decision(db, actor=coordinator, student=world.student, registry=app.state.frameworks)
    db.commit()
    view = register.overview(db, student=world.student, registry=app.state.frameworks, own=False)
    training = next(r for r in view.requirements if r.requirement.key == "jobcoachopleiding")
    assert training.status == "nog_niet" and "wacht op bevestiging" in training.proof[0].text
    assessor = accounts.actor_for(db, user_id=world.assessor.id or 0)
    readiness.confirm_decision(db, actor=assessor, student=world.student, registry=app.state.frameworks)
    db.commit()
    assert seal.is_sealed(db, student_id=world.student.id or 0)
    view = register.overview(db, student=world.student, registry=app.state.frameworks, own=False)
    training = next(r for r in view.requirements if r.requirement.key == "jobcoachopleiding")
    assert training.status == "voldaan" and "gereedheidsbesluit" in training.summary
    assert "bevestigd op" in training.proof[0].text
    # The sealed portfolio refuses evidence, but the development log for the register stays open.
    login(client, world.student.email)
    assert save_evidence(client).status_code == 409
    assert add(client, course(hours="8")).status_code == 303
    first = db.exec(select(DevelopmentEntry)).one()
    assert client.post(f"/portfolio/ontwikkeling/{first.id}/correctie", data=course(hours="9")).status_code == 303
    second = db.exec(select(DevelopmentEntry).where(DevelopmentEntry.replaces_id == first.id)).one()
    assert client.post(f"/portfolio/ontwikkeling/{second.id}/intrekken", data={"reden": "fout"}).status_code == 303


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # table cells wrap: compare on single spaces


def test_register_page_pdf_and_api(app: FastAPI, db: Session, world: World, client_factory: Any) -> None:
    student = client_factory()
    login(student, world.student.email)
    add(student, course(title="Oplossingsgericht werken", hours="16"))
    save_evidence(student, title="Coaching met MI", methode=["motivational-interviewing"])
    page = student.get("/portfolio/register")
    assert page.status_code == 200
    for text in ("Registereisen", "Specifieke beroepservaring als jobcoach", "Inlevingsvermogen", "NOLOC gedragscode"):
        assert text in page.text
    assert "Coaching met MI" in page.text
    pdf = student.get("/portfolio/register.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    text = pdf_text(pdf.content)
    for expected in (
        "Registeroverzicht",
        "Lotte de Vries",
        "Oplossingsgericht werken",
        "16 van 98 uur",
        "1400",
        "Motivational Interviewing",
        "Coaching met MI",
        "NOLOC",
    ):
        assert expected in text, expected
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    staff_pdf = coordinator.get(f"/studenten/{world.student.id}/register.pdf")
    assert staff_pdf.status_code == 200
    assert "Coaching met MI" not in pdf_text(staff_pdf.content)  # a draft: not for staff
    api = coordinator.get(f"/api/v1/students/{world.student.id}/register")
    assert api.status_code == 200
    body = api.json()
    assert [r["key"] for r in body["requirements"]] == [
        "opleidingsniveau",
        "jobcoachopleiding",
        "werkervaring",
        "beroepservaring",
    ]
    assert body["professional_development"]["hours"] == "16.00"
    assert body["professional_development"]["hours_per_ec"] == "28"
    assert {m["key"] for m in body["methods"]} >= {"ips", "var", "nlp"}
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.get(f"/api/v1/students/{world.student.id}/register").status_code == 404
    assert other.get(f"/studenten/{world.student.id}/register").status_code == 404
    assert other.get(f"/studenten/{world.student.id}/register.pdf").status_code == 404


def test_a_demo_students_register_overview_renders_and_its_pdf_reads_back(
    app: FastAPI, db: Session, client: Browser
) -> None:
    from app import demo
    from app.accounts.models import User

    assert demo.seed_if_empty(db, storage=app.state.storage)
    db.commit()
    lotte = db.exec(select(User).where(User.email == "lotte@demo.jobcoach.nl")).one()
    view = register.overview(db, student=lotte, registry=app.state.frameworks, own=True)
    assert view.log.current and view.log.degrees and view.methods_applied > 0
    assert view.practice_hours > 0
    login(client, "lotte@demo.jobcoach.nl", password=demo.DEMO_PASSWORD)
    page = client.get("/portfolio/register")
    assert page.status_code == 200 and "Bachelor Toegepaste Psychologie" in page.text
    text = pdf_text(client.get("/portfolio/register.pdf").content)
    assert "Lotte de Vries" in text and "Motivational Interviewing, basistraining" in text
    assert "Supported Employment in de praktijk" in text and "Bachelor Toegepaste Psychologie" in text
    assert "voldaan" in text


def test_staff_views_of_the_register_are_in_the_access_log(db: Session, world: World, client_factory: Any) -> None:
    from app.privacy.models import AccessEvent

    student = client_factory()
    login(student, world.student.email)
    add(student, course(hours="8"))
    sid = world.student.id
    for url in ("/portfolio/register", f"/studenten/{sid}/register", f"/studenten/{sid}/ontwikkeling"):
        assert student.get(url).status_code == 200
    assert db.exec(select(AccessEvent)).all() == []  # the student's own views are not logged
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    for url in (
        f"/studenten/{sid}/register",
        f"/studenten/{sid}/register.pdf",
        f"/studenten/{sid}/ontwikkeling",
        f"/api/v1/students/{sid}/register",
    ):
        assert coordinator.get(url).status_code == 200, url
    db.expire_all()
    logged = db.exec(select(AccessEvent).order_by(col(AccessEvent.id))).all()
    assert [(e.viewer_id, e.student_id, e.kind) for e in logged] == [
        (world.coordinator.id, sid, "register"),
        (world.coordinator.id, sid, "register"),
        (world.coordinator.id, sid, "ontwikkeling"),
        (world.coordinator.id, sid, "register"),
    ]


def test_the_register_page_costs_the_same_queries_with_more_evidence_and_courses(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    from sqlalchemy import event

    def add_items(count: int, start: int) -> None:
        for n in range(start, start + count):
            evidence = Evidence(student_id=world.student.id or 0)
            db.add(evidence)
            db.flush()
            version = EvidenceVersion(
                evidence_id=evidence.id or 0,
                number=1,
                title=f"Bewijs {n}",
                activity_date=date(2026, 3, 1),
                kind="verslag",
                created_by=world.student.id or 0,
                privacy_confirmed=True,
            )
            db.add(version)
            db.flush()
            db.add(EvidenceMethod(version_id=version.id or 0, method_key="ips"))
            db.add(
                DevelopmentEntry(
                    student_id=world.student.id or 0,
                    kind="cursus",
                    title=f"Cursus {n}",
                    provider="p",
                    entry_date=date(2025, 1, 1),
                    hours=Decimal(2),
                    created_by=world.student.id or 0,
                )
            )
        db.commit()

    def count(url: str) -> int:
        seen: list[str] = []

        def listen(*args: Any) -> None:
            seen.append(args[2])

        event.listen(app.state.engine, "before_cursor_execute", listen)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(app.state.engine, "before_cursor_execute", listen)
        return len(seen)

    login(client, world.coordinator.email)
    url = f"/studenten/{world.student.id}/register"
    add_items(2, 0)
    few = count(url)
    add_items(40, 2)
    assert count(url) == few
