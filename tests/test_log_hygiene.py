"""No personal data or tokens in logs.

A full journey through the app (login, evidence upload with a client description and a BSN-like number, indienen,
a praktijkbegeleider's account-free link, aftekening, beoordeling, password reset, failed logins, a CSV import with
names, erasure) with EVERY log record captured: the root logger at DEBUG, and the access log as uvicorn writes it
(its logger and arguments, the app's own redaction filter on `uvicorn.access`), all through the formatter every
server process uses (app.logs, JSON lines). The captured lines must not contain any user's name or e-mail address,
any token the journey was issued (personal links, reset links, session cookies, CSRF cookies and tokens), or any
9-digit number.

Left out on purpose: the `httpx`/`httpcore` loggers, which belong to the test client (they log the URLs *it*
requests); no server process runs them.
"""

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.utils import get_path_with_query_string

from app.accounts.models import User
from app.logs import formatter, redact_tokens
from app.notifications.models import OutboxMessage
from app.web import CSRF_COOKIE
from tests.conftest import PASSWORD, Browser, World, approve_pending_proposal, csrf_token, login
from tests.test_cohorts import DUTCH_HEADER
from tests.test_evidence import PDF

BSN = "123456782"  # passes the elfproef, like a real one
CLIENT_TEXT = f"Cliënt Johan Pietersen (BSN {BSN}, Dorpsstraat 12 Utrecht) begon op de afdeling inpak."
CSV_ROWS = [
    "Fatima El Amrani;f.elamrani@baken.nl;praktijkbegeleider;;Zorggroep Het Baken;;",
    "Sanne Bos;sanne@student.nl;student;600101;Zorggroep Het Baken;f.elamrani@baken.nl;anouk@school.nl",
]


class AccessLog:
    """Writes the access log line the way uvicorn does after each response (same logger, arguments, format)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.logger = logging.getLogger("uvicorn.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status: dict[str, int] = {}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        if scope["type"] == "http":
            self.logger.info(
                '%s - "%s %s HTTP/%s" %d',
                "127.0.0.1:5000",
                scope["method"],
                get_path_with_query_string(scope),  # type: ignore[arg-type]
                scope["http_version"],
                status.get("code", 0),
            )


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(formatter("json"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "httpcore")):
            return
        self.lines.append(self.format(record))

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]  # each line one JSON object


@pytest.fixture
def captured(app: FastAPI) -> Any:
    handler = Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    access = logging.getLogger("uvicorn.access")
    access_level = access.level
    access.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
    access.setLevel(access_level)


def test_redaction_of_tokens_in_paths_and_query_strings() -> None:
    assert redact_tokens("/link/abcDEF123_-x/verzoeken/4") == "/link/…/verzoeken/4"
    assert redact_tokens("/wachtwoord-herstellen/abc") == "/wachtwoord-herstellen/…"
    assert redact_tokens("/bewijs?csrf_token=0a1b2c&x=1") == "/bewijs?csrf_token=…&x=1"
    assert redact_tokens("/bewijs/3?a=b&csrf_token=0a1b") == "/bewijs/3?a=b&csrf_token=…"
    assert redact_tokens("/cohorten/1/overzicht?zoek=Lotte+de+Vries&werkplek=Bakkerij%20Jansen&status=x") == (
        "/cohorten/1/overzicht?zoek=…&werkplek=…&status=x"
    )
    # The school sign-in's callback: the authorization code and the state are single use, but not for the logs.
    assert redact_tokens("/login/sso/school/callback?code=aUShga&state=mBI5l2&iss=x") == (
        "/login/sso/school/callback?code=…&state=…&iss=x"
    )


def test_a_full_journey_logs_no_personal_data_and_no_tokens(
    app: FastAPI, db: Session, world: World, captured: Collect, client_factory: Callable[[], Browser]
) -> None:
    from fastapi.testclient import TestClient

    wrapped = AccessLog(app)
    clients: list[Browser] = []

    def client() -> Browser:
        browser = Browser(wrapped, follow_redirects=False)  # type: ignore[arg-type]
        browser.app_ref = app
        clients.append(browser)
        return browser

    assert issubclass(Browser, TestClient)
    sid = world.student.id
    logging.getLogger("app").debug("journey starts")  # the handler sees DEBUG records

    # A coordinator imports people (names, e-mail addresses) from CSV.
    coordinator = client()
    login(coordinator, world.coordinator.email)
    token = csrf_token(coordinator, app)
    data = ("\r\n".join([DUTCH_HEADER, *CSV_ROWS]) + "\r\n").encode()
    imported = coordinator.post(
        f"/cohorten/{world.cohort.id}/import?csrf_token={token}",
        files={"file": ("personen.csv", data, "text/csv")},
        csrf=False,
    )
    assert imported.status_code == 303
    assert "Import voltooid" in coordinator.get(imported.headers["location"]).text
    # Searching the cohort overview for a student by name (the search lives in the URL).
    found = coordinator.get(f"/cohorten/{world.cohort.id}/overzicht", params={"zoek": "Sanne Bos", "werkplek": "x"})
    assert found.status_code == 200 and "Sanne Bos" in found.text
    api = coordinator.get(f"/api/v1/cohorts/{world.cohort.id}/progress", params={"zoek": world.student.name})
    assert api.status_code == 200

    # The student uploads evidence with a client description and a BSN, through the page's form (token in query).
    student = client()
    login(student, world.student.email)
    token = csrf_token(student, app)
    fields = {
        "title": "Intake met Johan Pietersen",
        "activity_date": "2026-03-02",
        "kind": "verslag",
        "reflection": CLIENT_TEXT,
        "links": "",
        "privacy": "ja",
        "eindterm": ["IA-a"],
        "onderbouwing_IA-a": f"Zie het verslag over {CLIENT_TEXT}",
    }
    saved = student.post(
        f"/bewijs?csrf_token={token}",
        data=fields,
        files=[("files", ("intake Johan Pietersen.pdf", PDF, "application/pdf"))],
        csrf=False,
    )
    assert saved.status_code == 303, saved.text
    # The student invites a praktijkbegeleider without an account and submits.
    invited = student.post(
        "/portfolio/praktijkbegeleider", data={"naam": "Kees Werkvloer", "email": "kees@bakkerij.nl", "functie": "Chef"}
    )
    assert invited.status_code == 303
    approve_pending_proposal(db, client, world.coordinator)
    assert student.post("/portfolio/indienen", data={"eindterm": "IA-a", "bericht": CLIENT_TEXT}).status_code in {
        200,
        303,
    }
    # The link: opened, identity confirmed, signed off.
    db.expire_all()
    bodies = [m.body for m in db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()]
    link_tokens = set(re.findall(r"/link/([A-Za-z0-9_-]+)", "\n".join(bodies)))
    assert link_tokens
    link_token = sorted(link_tokens)[-1]
    phone = client()
    assert phone.get(f"/link/{link_token}").status_code == 200
    assert (
        phone.post(f"/link/{link_token}/bevestigen", data={"naam": "Kees de Bakker", "functie": "Chef"}).status_code
        == 303
    )
    from app.evidence.models import Submission

    submission = db.exec(select(Submission)).one()
    assert phone.get(f"/link/{link_token}/verzoeken/{submission.id}").status_code == 200
    decided = phone.post(
        f"/link/{link_token}/verzoeken/{submission.id}", data={"besluit": "afgetekend", "toelichting": CLIENT_TEXT}
    )
    assert decided.status_code == 303
    # The beoordelaar scores.
    assessor = client()
    login(assessor, world.assessor.email)
    scored = assessor.post(
        f"/studenten/{sid}/eindtermen/IA-a/beoordeling", data={"score": "voldoende", "feedback": CLIENT_TEXT}
    )
    assert scored.status_code in {200, 303}, scored.text
    assert assessor.get(f"/studenten/{sid}").status_code == 200
    # Password reset, by link.
    anonymous = client()
    assert anonymous.post("/wachtwoord-vergeten", data={"email": world.student.email}).status_code in {200, 303}
    db.expire_all()
    bodies = [m.body for m in db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()]
    reset_tokens = set(re.findall(r"/wachtwoord-herstellen/([A-Za-z0-9_-]+)", "\n".join(bodies)))
    assert reset_tokens
    reset_token = sorted(reset_tokens)[-1]
    assert anonymous.get(f"/wachtwoord-herstellen/{reset_token}").status_code == 200
    new_password = "een-nieuw-wachtwoord-123"
    assert anonymous.post(
        f"/wachtwoord-herstellen/{reset_token}", data={"password": new_password, "password_again": new_password}
    ).status_code in {200, 303}
    # Failed logins: a known e-mail with a wrong password, an unknown e-mail.
    stranger = client()
    for email in (world.supervisor.email, "onbekend.persoon@example.nl"):
        failed = stranger.post("/login", data={"email": email, "password": "fout-wachtwoord", "next": "/"})
        assert failed.status_code != 303
    # An erasure by the beheerder.
    admin = client()
    login(admin, world.admin.email)
    assert admin.get(f"/beheer/personen/{world.bystander.id}/verwijderen").status_code == 200
    assert (
        admin.post(
            f"/beheer/personen/{world.bystander.id}/verwijderen",
            data={"reden": "Verzoek van de betrokkene.", "bevestiging": world.bystander.email},
        ).status_code
        == 200
    )
    # A 404 and a tampered link also leave a line each.
    assert phone.get(f"/link/{link_token}x").status_code in {404, 429}
    login(student, world.student.email, new_password)

    # --- what must not be in the logs ---------------------------------------------------------------------------
    records = captured.records()
    # Searched decoded: a JSON escape (\u00eb) must not hide a name from the search.
    text = "\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    assert {"app", "uvicorn.access"} <= {r["logger"] for r in records}  # both kinds of record were captured
    assert all(r.get("request_id") for r in records if r["logger"] == "uvicorn.access")
    secrets: dict[str, str] = {}
    for user in db.exec(select(User)).all():
        secrets[f"name of user {user.id}"] = user.name
        secrets[f"e-mail of user {user.id}"] = user.email
    for label, value in {
        "imported name": "Fatima El Amrani",
        "imported e-mail": "sanne@student.nl",
        "link user name": "Kees de Bakker",
        "link user e-mail": "kees@bakkerij.nl",
        "erased name": world.bystander.name,
        "erased e-mail": world.bystander.email,
        "unknown e-mail tried": "onbekend.persoon@example.nl",
        "client name": "Johan Pietersen",
        "client address": "Dorpsstraat 12",
        "bsn": BSN,
        "password": new_password,
        "demo password": PASSWORD,
    }.items():
        secrets[label] = value
    for number, value in enumerate(sorted(link_tokens | reset_tokens)):
        secrets[f"mailed token {number}"] = value
    settings = app.state.settings
    for number, browser in enumerate(clients):
        session_cookie = browser.cookies.get(settings.session_cookie)
        if session_cookie:
            secrets[f"session of client {number}"] = session_cookie
        raw = browser.cookies.get(CSRF_COOKIE)
        if raw:
            secrets[f"csrf cookie of client {number}"] = raw
            secrets[f"csrf token of client {number}"] = hmac.new(
                settings.secret_key.encode(), raw.encode(), hashlib.sha256
            ).hexdigest()
    leaks = sorted(label for label, value in secrets.items() if value and value in text)
    assert leaks == [], f"found in the logs: {leaks}"
    assert re.findall(r"(?<![\w.:-])\d{9}(?![\w])", text) == []
    paths = [r["path"] for r in records if r["logger"] == "uvicorn.access"]
    assert any(p.startswith("/link/…") for p in paths) and any("csrf_token=…" in p for p in paths)  # redacted
    for browser in clients:
        browser.close()
