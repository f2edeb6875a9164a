"""Every route, every parameter, hostile values: no answer is a server error (#15 Low 7).

The walk takes the routes from the application itself, so a new route is walked without touching this file.
For each route it first finds who may use it (a benign request with real ids, as each role and as a
praktijkbegeleider's personal link), then sends as that identity:
- every path parameter replaced by each hostile value (huge, negative, non-numeric, non-UTF-8, control
  characters, non-Latin-1), the others real;
- real path parameters with every query and form field the pages use set to each hostile value at once;
- for JSON routes, a JSON body whose every field is each hostile value (as a string and as a number).
A 5xx, or an exception that would have dropped the connection, is collected; the test lists them all.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlmodel import Session, select

from app.cohorts.models import SupervisorAssignment
from app.evidence.models import EvidenceFile, EvidenceVersion
from app.hours import service as hours_service
from app.lti import keys as lti_keys
from app.readiness import dossier as dossier_service
from app.signoff import service as signoff_service
from tests.conftest import Browser, World, login
from tests.lti import registered_platform
from tests.test_evidence import PDF, form_fields
from tests.test_signoff import submit

ROOT = Path(__file__).resolve().parent.parent

# The values, as they would be typed into an address bar or a form (str) or sent raw (bytes: not UTF-8).
HOSTILE: list[str | bytes] = [
    str(2**63),
    "9" * 40,
    "-1",
    "0",
    "abc",
    "1e309",
    "1" + "0" * 30,
    "NaN",
    "9999-W52",
    "0000-W00",
    "9999-12-31",
    "a\x00b\x1f\x7f",
    "\u202eΩ€漢字",
    "//evil.example/%0d%0aX: y",
    "x" * 5000,
    b"\xff\xfe\xc3",
]
JSON_NUMBERS = [str(2**63), "-1", "1e309", "-1e309", "1" + "0" * 30, "0.1"]


def _template_fields() -> set[str]:
    names: set[str] = set()
    for template in (ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'name="([a-z_]+)"', template.read_text()))
    # Names the pages build from data, and query parameters read from request.query_params.
    names.update({"bevestig_1", "onderbouwing_IA-a", "pagina", "weergave", "sorteer", "zoek", "status", "student"})
    return names - {"csrf_token", "viewport"}


FIELDS = sorted(_template_fields())


@dataclass
class Route:
    methods: set[str]
    path: str
    params: list[str]  # path parameters
    body_model: type[BaseModel] | None  # JSON body, if any


def _routes(app: FastAPI) -> list[Route]:
    found = []
    for mounted in app.routes:
        contexts: Iterator[Any] = (
            mounted.effective_route_contexts() if hasattr(mounted, "effective_route_contexts") else iter(())
        )
        for context in contexts:
            model = None
            for param in context.dependant.body_params:
                annotation = param.field_info.annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    model = annotation
            found.append(
                Route(set(context.methods), context.path, re.findall(r"{(\w+)(?::\w+)?}", context.path), model)
            )
    assert len(found) > 100, "the walk must see the whole application"
    return found


def _encode(value: str | bytes) -> str:
    return quote(value, safe="")


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)


# What a careful user would type, so a hostile value in one kind of field is not hidden behind an error in another.
BENIGN = {
    "datum": "2026-03-02",
    "activity_date": "2026-03-01",
    "entry_date": "2026-03-01",
    "start_date": "2026-09-01",
    "week": "2026-W10",
    "uren": "4",
    "hours": "4",
    "totaal": "4",
    "email": "nieuw@werk.nl",
    "besluit": "terug",
    "score": "voldoende",
    "eindterm": "IA-a",
    "eindtermen": "IA-a",
    "kind": "verslag",
    "locale": "nl",
}
# Fields that carry a number or an id: hostile while the rest stays benign.
NUMERIC = {
    "uren",
    "hours",
    "totaal",
    "ec",
    "supervisor_id",
    "assessor_id",
    "programme_id",
    "verzoek",
    "vervangt",
    "student",
    "persoon",
    "keep_file",
    "keep_certificate",
    "regels",
    "pagina",
    "week",
    "datum",
    "bevestig_1",
}


def _form_body(value: str | bytes, only: set[str] | None = None) -> bytes:
    encoded = _encode(value)
    pairs = [(name, encoded if only is None or name in only else _encode(BENIGN.get(name, "Tekst"))) for name in FIELDS]
    return "&".join(f"{name}={text}" for name, text in pairs).encode()


def _json_bodies(model: type[BaseModel]) -> Iterator[bytes]:
    """Each hostile value in every field, in the field's own shape (a list gets a list), so the body passes the
    schema where it can and reaches the service; then the same as bare strings and numbers."""

    def shaped(annotation: Any, text: str, number: str) -> str:
        kinds = {annotation, *get_args(annotation)}
        if get_origin(annotation) is list or list in kinds:
            return f"[{text}]"
        if int in kinds or float in kinds:
            return number
        return text

    fields = model.model_fields
    for value in HOSTILE:
        if isinstance(value, bytes):
            yield b"{" + b",".join(b'"%s": "%s"' % (n.encode(), value) for n in fields) + b"}"
            continue
        text = json.dumps(value)
        yield ("{" + ",".join(f'"{n}": {shaped(f.annotation, text, text)}' for n, f in fields.items()) + "}").encode()
    for number in JSON_NUMBERS:
        text = json.dumps(number)
        yield ("{" + ",".join(f'"{n}": {shaped(f.annotation, text, number)}' for n, f in fields.items()) + "}").encode()
        yield ("{" + ",".join(f'"{n}": {number}' for n in fields) + "}").encode()


@pytest.fixture
def real(app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]) -> dict[str, str]:
    """Real objects for every path parameter, so hostile fields get past the 404 of a random id."""
    made = submit(app, db, world, ["IA-a", "IA-c"])
    version = db.get(EvidenceVersion, made[0].version_ids[0])
    assert version is not None
    student = client_factory()
    login(student, world.student.email)
    with_file = student.post(
        "/api/v1/evidence", data=form_fields(), files=[("files", ("verslag.pdf", PDF, "application/pdf"))]
    )
    blob = db.exec(select(EvidenceFile)).first()
    entry = hours_service.log_hours(
        db,
        student_id=world.student.id or 0,
        registry=app.state.frameworks,
        data=hours_service.HoursInput(
            work_date="2026-03-02",
            hours="4",
            activity="Werkplekbezoek",
            workplace="",
            eindtermen=["IA-a"],
            clients="",
            replaces_id=None,
        ),
    )
    dossier = dossier_service.request_dossier(db, actor_id=world.coordinator.id or 0, student_id=world.student.id or 0)
    token = signoff_service.create_link(
        db, supervisor_id=world.supervisor.id or 0, created_by_id=None, settings=app.state.settings
    )
    assignment = db.exec(select(SupervisorAssignment)).first()
    lti_platform_id, lti_context_id = registered_platform(db, world)
    lti_key = lti_keys.ensure_key(db, secret_key=app.state.settings.secret_key)  # the newest: never retired
    db.commit()
    exported = student.post("/portfolio/export")
    export_id = exported.headers.get("location", "/1").rsplit("/", 1)[1]
    assert with_file.status_code == 201, with_file.text
    return {
        "student_id": str(world.student.id),
        "cohort_id": str(world.cohort.id),
        "programme_id": str(world.programme.id),
        "user_id": str(world.bystander.id),
        "staff_id": str(world.supervisor.id),  # a praktijkbegeleider of this cohort
        "evidence_id": str(version.evidence_id),
        "blob_id": str(blob.blob_id if blob else 1),
        "submission_id": str(made[0].id),
        "code": "IA-a",
        "framework_id": "bvjn-eindtermen",
        "version": "2012",
        "export_id": export_id,
        "entry_id": str(entry.id),
        "development_id": "1",
        "dossier_id": str(dossier.id),
        "part": "pdf",
        "name": "school",  # an SSO provider (not configured here)
        "assignment_id": str(assignment.id if assignment else 1),
        "token": token,
        "platform_id": str(lti_platform_id),
        "context_id": str(lti_context_id),
        "key_id": str(lti_key.id),
    }


def test_no_hostile_parameter_gives_a_server_error(
    app: FastAPI, world: World, real: dict[str, str], client_factory: Callable[[], Browser]
) -> None:
    identities: dict[str, Browser] = {"anoniem": client_factory()}
    for role, person in [
        ("student", world.student),
        ("praktijkbegeleider", world.supervisor),
        ("beoordelaar", world.assessor),
        ("coordinator", world.coordinator),
        ("beheerder", world.admin),
    ]:
        identities[role] = client_factory()
        login(identities[role], person.email)
    for browser in identities.values():
        browser.app_ref = app
    failures: list[str] = []

    def send(who: str, method: str, url: str, body: bytes | None = None, kind: str = "form") -> int | None:
        browser = identities[who]
        headers = {"content-type": "application/json" if kind == "json" else "application/x-www-form-urlencoded"}
        try:
            if method == "GET":
                answer = browser.get(url)
            else:
                answer = browser.request(method, url, content=body or b"", headers=headers | _csrf(browser, app))
        except Exception as exc:
            failures.append(f"{who} {method} {url[:120]!r} {kind}: {type(exc).__name__}: {exc}"[:300])
            return None
        if answer.status_code >= 500:
            failures.append(f"{who} {method} {url[:120]!r} {kind}: {answer.status_code}")
        return answer.status_code

    routes = [r for r in _routes(app) if not r.path.startswith(("/docs", "/api/docs", "/openapi"))]
    for route in routes:
        for method in sorted(route.methods - {"HEAD"}):
            if route.path == "/logout":
                continue  # would end the identity's session for the rest of the walk
            benign = _fill(route.path, real)
            # Who gets past authorization with real ids: that identity walks this route.
            allowed = []
            for who in identities:
                status = send(who, method, benign)
                if (
                    status is not None
                    and status not in {401, 403, 404, 405}
                    and not (status == 303 and who == "anoniem" and "token" not in route.params)
                ):
                    allowed.append(who)
            walkers = allowed[:2] or ["student"]
            for who in walkers:
                for param in route.params:
                    for value in HOSTILE:
                        send(who, method, _fill(route.path, real | {param: _encode(value)}))
                for value in HOSTILE:
                    # A long value goes in a few fields only: all of them at once exceeds what a client sends.
                    names = FIELDS if len(value) < 100 else ["next", "zoek", "week", "pagina"]
                    query = "&".join(f"{name}={_encode(value)}" for name in names)
                    if method == "GET":
                        send(who, method, f"{benign}?{query}")
                    else:
                        send(who, method, f"{benign}?next={_encode(value)}", _form_body(value))
                        send(who, method, benign, _form_body(value, only=NUMERIC))
                if route.body_model is not None:
                    for body in _json_bodies(route.body_model):
                        send(who, method, benign, body, kind="json")
                if method != "GET":
                    send(who, method, benign, b"\xff\xfe=\xc3&%%%=%zz", kind="form")
                    send(who, method, benign, b"{not json", kind="json")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:80])


def _csrf(browser: Browser, app: FastAPI) -> dict[str, str]:
    from tests.conftest import csrf_token

    return {"X-CSRF-Token": csrf_token(browser, app)}


# --- the findings of the adversarial test, one by one -----------------------------------------------------------

HUGE = str(2**63)


def test_ids_beyond_any_row_answer_404_not_500(
    app: FastAPI, world: World, real: dict[str, str], client_factory: Callable[[], Browser]
) -> None:
    supervisor, coordinator = client_factory(), client_factory()
    login(supervisor, world.supervisor.email)
    login(coordinator, world.coordinator.email)
    page = supervisor.get(f"/aftekenen/{HUGE}")
    assert page.status_code == 404 and "Deze pagina bestaat niet." in page.text
    assert coordinator.get(f"/studenten/{world.student.id}/dossier/{HUGE}").status_code == 404
    assert coordinator.get(f"/studenten/{world.student.id}/dossier/-1").status_code == 404
    answer = coordinator.get(f"/api/v1/cohorts/{HUGE}")
    assert answer.status_code == 404 and answer.json()["detail"] == "Deze pagina bestaat niet."
    assert coordinator.get("/api/v1/cohorts/abc").status_code == 404
    word = coordinator.get("/bewijs/abc")  # #16 item 5: was 422 "Controleer: evidence_id"
    assert word.status_code == 404 and "evidence_id" not in word.text and "Deze pagina bestaat niet." in word.text
    assert coordinator.post(f"/beheer/gebruikers/{HUGE}/deblokkeren").status_code == 404


def test_id_fields_beyond_any_row_are_told_in_dutch(
    app: FastAPI, world: World, real: dict[str, str], client_factory: Callable[[], Browser]
) -> None:
    coordinator, supervisor, student = client_factory(), client_factory(), client_factory()
    login(coordinator, world.coordinator.email)
    login(supervisor, world.supervisor.email)
    login(student, world.student.email)
    guidance = coordinator.post(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding", data={"supervisor_id": HUGE}
    )
    assert guidance.status_code == 422 and "Kies een praktijkbegeleider uit de lijst." in guidance.text
    bulk = supervisor.post("/aftekenen", data={"verzoek": [HUGE, real["submission_id"]], f"bevestig_{HUGE}": "1"})
    assert bulk.status_code == 422 and "Er is niets afgetekend." in bulk.text  # the real one has no tick of its own
    correction = student.post(
        f"/api/v1/students/{world.student.id}/hours",
        json={"date": "2026-03-02", "hours": "4", "activity": "Begeleiding", "replaces_id": 2**63},
    )
    assert correction.status_code == 422, correction.text
    assert correction.json()["errors"] == ["de regel die dit corrigeert: is te groot"]
    week = student.post("/praktijkuren/week", data={"week": "9999-W52"})
    assert week.status_code == 422 and "Kies een week (jjjj-Wnn)." in week.text
    assert student.get(f"/praktijkuren?corrigeer={HUGE}").status_code == 200


def test_validation_messages_name_the_field_in_the_users_language(
    world: World, client_factory: Callable[[], Browser]
) -> None:
    student = client_factory()
    login(student, world.student.email)
    wrong = student.post(f"/api/v1/students/{world.student.id}/hours", json={"hours": 4, "eindtermen": "IA-a"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == ["uren: moet tekst zijn", "eindtermen: moet een lijst zijn"]
    assert not any("Controleer" in line for line in wrong.json()["errors"])
    student.post("/taal", data={"locale": "en", "next": "/"})
    english = student.post(f"/api/v1/students/{world.student.id}/hours", json={"hours": 4})
    assert english.json()["errors"] == ["hours: must be text"]


def test_head_on_a_personal_link_is_a_get_without_side_effects(
    app: FastAPI, db: Session, world: World, real: dict[str, str], client_factory: Callable[[], Browser]
) -> None:
    from app.privacy.models import AccessEvent
    from app.signoff.models import SupervisorLink

    phone = client_factory()
    link = f"/link/{real['token']}"
    assert phone.post(f"{link}/bevestigen", data={"naam": "Sandra Mulder", "functie": "Teamleider"}).status_code == 303
    db.expire_all()
    used_before = [(row.id, row.last_used_at) for row in db.exec(select(SupervisorLink)).all()]
    views_before = len(db.exec(select(AccessEvent)).all())
    for path in (link, f"{link}/verzoeken/{real['submission_id']}"):
        head, get = phone.head(path), phone.get(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    db.expire_all()
    assert [(row.id, row.last_used_at) for row in db.exec(select(SupervisorLink)).all()] == used_before
    # Only the two GETs of the request were the praktijkbegeleider looking; the HEADs left no trace.
    assert len(db.exec(select(AccessEvent)).all()) == views_before + 1
