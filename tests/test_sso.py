"""Sign in with the school's account against a real OpenID Provider (panva's oidc-provider on loopback, two
issuers: "school" as SURFconext, "guest" as eduID). Tokens the real provider will not mint (wrong aud, expired,
alg none, unknown key, another issuer) are crafted and fed to our verification function."""

import base64
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlmodel import Session, col, func, select

from app.accounts import service as accounts
from app.accounts import sso
from app.accounts.identity import digest
from app.accounts.models import PasswordResetToken, TokenKind, User, UserSession
from app.accounts.sso_models import SignInIdentity
from app.cohorts import sso_institutions
from app.config import ROOT, Settings
from app.db import utcnow
from app.demo.sso_run import ProviderFailed, start_provider
from app.main import create_app
from tests.conftest import PASSWORD, Browser, World, page_csrf

OIDC_DIR = Path(__file__).parent / "oidc"
STUDENT_CODE = "urn:schac:personalUniqueCode:nl:local:school.example:studentid:"
ACCOUNTS = {
    # Lotte (world.student, number 500001) at her school: linked by the import's student number.
    "lotte-sub": {
        "name": "Lotte de Vries",
        "email": "lotte@student.nl",
        "schac_home_organization": "school.example",
        "eduperson_affiliation": ["student"],
        "eduperson_principal_name": "lotte@school.example",
        "schac_personal_unique_code": STUDENT_CODE + "500001",
    },
    # Someone whose e-mail claim is the coordinator's address: must not become the coordinator.
    "lookalike-sub": {
        "name": "Marieke van Dijk",
        "email": "coord@school.nl",
        "schac_home_organization": "school.example",
        "eduperson_affiliation": ["employee"],
    },
    # Sanne, imported with an eduPersonPrincipalName: her school sends another student number than the import's.
    "sanne-sub": {
        "name": "Sanne Bos",
        "email": "s.bos@mail.example",
        "schac_home_organization": "school.example",
        "eduperson_affiliation": ["student"],
        "eduperson_principal_name": "Sanne.Bos@school.example",
        "schac_personal_unique_code": STUDENT_CODE + "999999",
    },
    "stranger-sub": {"name": "Onbekend", "email": "nieuw@school.example", "schac_home_organization": "school.example"},
    "elsewhere-sub": {
        "name": "Daan Jansen",
        "email": "daan@andere.example",
        "schac_home_organization": "andere.example",
    },
}
GUEST_ACCOUNTS = {"bea-eduid": {"name": "Bea Buiten", "email": "bea@elders.nl", "eduperson_affiliation": ["affiliate"]}}


def _required() -> bool:
    return os.environ.get("REQUIRE_OIDC") == "1" or os.environ.get("CI", "").lower() == "true"


def _start(name: str, accounts_: dict[str, Any]) -> tuple[subprocess.Popen[str], str]:
    config = {
        "client_id": f"portfolio-{name}",
        "client_secret": f"secret-{name}",
        "redirect_uris": [f"http://testserver/login/sso/{name}/callback"],
        "accounts": accounts_,
    }
    try:
        return start_provider(config)
    except ProviderFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def issuers() -> Iterator[dict[str, str]]:
    """Two real OpenID Providers on free loopback ports, stopped after the module."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir() or shutil.which("node") is None:
        reason = "oidc-provider is not installed: run `npm ci --prefix tests/oidc` (needs Node.js)"
        if _required():
            pytest.fail(reason)
        pytest.skip(reason)
    started: list[subprocess.Popen[str]] = []
    try:
        school, school_url = _start("school", ACCOUNTS)
        started.append(school)
        guest, guest_url = _start("guest", GUEST_ACCOUNTS)
        started.append(guest)
        yield {"school": school_url, "guest": guest_url}
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=10)


def _providers(urls: dict[str, str]) -> str:
    return json.dumps(
        [
            {
                "name": name,
                "display_name": "SURFconext" if name == "school" else "eduID",
                "issuer": url,
                "client_id": f"portfolio-{name}",
                "client_secret": f"secret-{name}",
                "scopes": [
                    "openid",
                    "profile",
                    "email",
                    "schac_home_organization",
                    "eduperson_affiliation",
                    "eduperson_principal_name",
                    "schac_personal_unique_code",
                ],
            }
            for name, url in urls.items()
        ]
    )


@pytest.fixture
def settings(database_url: str, storage_settings: dict[str, object], issuers: dict[str, str]) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        framework_dir=ROOT / "eindtermen",
        smtp_host=None,
        base_url="http://testserver",
        oidc_providers=_providers(issuers),
        **storage_settings,  # type: ignore[arg-type]
    )


def _provider_login(client: Browser, name: str, account: str, query: str = "") -> httpx.Response:
    """Start at our link, sign in at the real provider (its interaction, scripted), and come back."""
    start = client.get(f"/login/sso/{name}{query}")
    assert start.status_code == 303, start.text
    location = start.headers["location"]
    with httpx.Client(follow_redirects=False, timeout=10) as op:
        response = op.get(location)
        for _ in range(10):
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith("http://testserver/"):
                break
            if urlsplit(location).path.startswith("/interaction/") and not location.endswith("/login"):
                location = location.rstrip("/") + f"/login?account={account}"
            response = op.get(location)
        else:
            pytest.fail("the provider never sent the browser back")
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}")


def _activation(db: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.add(
        PasswordResetToken(
            token_hash=digest(token),
            user_id=user.id or 0,
            kind=TokenKind.activation.value,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    db.commit()
    return token


def _identities(db: Session) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(SignInIdentity)).one()


def _users(db: Session) -> int:
    return db.exec(select(func.count()).select_from(User)).one()


def test_linked_student_signs_in_and_lands_on_the_portfolio(client: Browser, db: Session, world: World) -> None:
    sso_institutions.set_institutions(
        db, programme_id=world.programme.id or 0, institutions={"school.example"}, actor_id=None
    )
    db.commit()
    back = _provider_login(client, "school", "lotte-sub")
    assert back.status_code == 303 and back.headers["location"] == "/"
    assert client.cookies.get("pf_session")
    assert client.get("/", follow_redirects=True).url.path == "/portfolio"
    identity = db.exec(select(SignInIdentity)).one()
    assert (identity.sub, identity.user_id, identity.schac_home_organization) == (
        "lotte-sub",
        world.student.id,
        "school.example",
    )
    assert identity.eduperson_affiliation == "student" and identity.last_login_at is not None
    # The second sign-in finds the identity (no student-number match needed) and starts a new, rotated session.
    first = client.cookies.get("pf_session")
    assert _provider_login(client, "school", "lotte-sub").status_code == 303
    assert client.cookies.get("pf_session") != first
    assert db.exec(select(func.count()).select_from(UserSession)).one() == 1


def test_student_number_does_not_link_when_the_programme_lists_no_institution(
    client: Browser, db: Session, world: World
) -> None:
    back = _provider_login(client, "school", "lotte-sub")
    assert back.status_code == 403 and "nog niet gekoppeld" in back.text
    assert _identities(db) == 0


def test_an_activation_link_offers_and_makes_the_link(client: Browser, db: Session, world: World) -> None:
    token = _activation(db, world.bystander)
    page = client.get(f"/activeren/{token}")
    assert f'href="/login/sso/guest?activatie={token}"' in page.text and "Of koppel uw schoolaccount" in page.text
    back = _provider_login(client, "guest", "bea-eduid", f"?activatie={token}")
    assert back.status_code == 303, back.text
    assert client.get("/", follow_redirects=True).status_code == 200
    identity = db.exec(select(SignInIdentity)).one()
    assert identity.user_id == world.bystander.id and identity.issuer.endswith(urlsplit(identity.issuer).netloc)
    # The activation link is spent.
    assert client.get(f"/activeren/{token}").status_code == 404


def test_an_unknown_identity_gets_a_dutch_page_and_nothing_is_created(
    client: Browser, db: Session, world: World
) -> None:
    before = _users(db)
    back = _provider_login(client, "school", "stranger-sub")
    assert back.status_code == 403
    assert "Uw account is nog niet gekoppeld. Vraag uw opleiding om een uitnodiging." in back.text
    assert _users(db) == before and _identities(db) == 0 and not client.cookies.get("pf_session")


def test_an_email_claim_of_an_existing_user_does_not_link(client: Browser, db: Session, world: World) -> None:
    back = _provider_login(client, "school", "lookalike-sub")
    assert back.status_code == 403 and "nog niet gekoppeld" in back.text
    assert _identities(db) == 0 and not client.cookies.get("pf_session")


def test_an_institution_the_programme_does_not_allow_is_refused(client: Browser, db: Session, world: World) -> None:
    sso_institutions.set_institutions(
        db, programme_id=world.other_programme.id or 0, institutions={"school.example"}, actor_id=None
    )
    token = _activation(db, world.other_student)
    back = _provider_login(client, "school", "elsewhere-sub", f"?activatie={token}")
    assert back.status_code == 403 and "Met een account van deze instelling kunt u niet inloggen" in back.text
    assert _identities(db) == 0 and not client.cookies.get("pf_session")
    assert client.get(f"/activeren/{token}").status_code == 200  # the refused attempt did not spend the link


def test_a_wrong_state_or_another_browser_is_refused(client: Browser, client_factory: Any, world: World) -> None:
    start = client.get("/login/sso/school")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    assert client.get("/login/sso/school/callback?state=verzonnen&code=x").status_code == 403
    # The right state, but in a browser that did not start this login (login CSRF).
    other = client_factory()
    refused = other.get(f"/login/sso/school/callback?state={state}&code=x")
    assert refused.status_code == 403 and "verlopen of al gebruikt" in refused.text


def test_a_replayed_callback_is_refused(client: Browser, db: Session, world: World) -> None:
    token = _activation(db, world.bystander)
    start = client.get(f"/login/sso/guest?activatie={token}")
    cookie = client.cookies.get("pf_sso")
    with httpx.Client(follow_redirects=False, timeout=10) as op:
        response = op.get(start.headers["location"])
        location = urljoin(str(response.url), response.headers["location"]) + "/login?account=bea-eduid"
        response = op.get(location)
        while not response.headers["location"].startswith("http://testserver/"):
            response = op.get(urljoin(str(response.url), response.headers["location"]))
    callback = urlsplit(response.headers["location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 303
    client.cookies.set("pf_sso", cookie or "", path="/login/sso")
    replay = client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 403 and "verlopen of al gebruikt" in replay.text


def test_logout_ends_our_session_and_says_there_is_no_single_logout(client: Browser, db: Session, world: World) -> None:
    token = _activation(db, world.bystander)
    assert _provider_login(client, "guest", "bea-eduid", f"?activatie={token}").status_code == 303
    csrf = page_csrf(client.get("/", follow_redirects=True).text)
    out = client.post("/logout", headers={"X-CSRF-Token": csrf}, csrf=False)
    assert out.headers["location"] == "/uitgelogd"
    assert "SURFconext kent geen centrale uitlog" in client.get("/uitgelogd").text
    assert client.get("/signoff", follow_redirects=False).status_code in (303, 401, 404)
    assert db.exec(select(func.count()).select_from(UserSession)).one() == 0


def test_disabling_a_user_ends_their_sso_session(client: Browser, db: Session, world: World) -> None:
    token = _activation(db, world.bystander)
    assert _provider_login(client, "guest", "bea-eduid", f"?activatie={token}").status_code == 303
    accounts.set_active(db, user_id=world.bystander.id or 0, active=False, actor_id=world.admin.id or 0)
    db.commit()
    assert db.exec(select(func.count()).select_from(UserSession)).one() == 0
    assert "/login" in client.get("/", follow_redirects=False).headers["location"]


def test_the_login_page_shows_one_link_per_issuer(client: Browser, world: World) -> None:
    page = client.get("/login").text
    assert 'href="/login/sso/school"' in page and "Inloggen met SURFconext" in page
    assert 'href="/login/sso/guest"' in page and "Inloggen met eduID" in page
    assert client.get("/login/sso/elders").status_code == 404


def test_sso_is_off_without_providers(settings: Settings) -> None:
    off = create_app(settings.model_copy(update={"oidc_providers": ""}))
    with TestClient(off, follow_redirects=False) as browser:
        assert "/login/sso/" not in browser.get("/login").text
        assert browser.get("/login/sso/school").status_code == 404
        assert browser.get("/login/sso/school/callback?state=x&code=y").status_code == 404
    off.state.engine.dispose()


# --- crafted tokens against our verification function ------------------------------------------------------------

SCHOOL = sso.Provider(
    name="school",
    display_name="SURFconext",
    issuer="https://connect.test.surfconext.nl",
    client_id="portfolio",
    client_secret="s",
    scopes=("openid",),
    claims=dict(sso.DEFAULT_CLAIMS),
)
KEY = RSAKey.generate_key(2048, parameters={"kid": "school-1", "alg": "RS256", "use": "sig"})
PUBLIC = KeySet([RSAKey.import_key(KEY.as_dict(private=False))])


def _token(key: RSAKey = KEY, header: dict[str, Any] | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": SCHOOL.issuer, "aud": "portfolio", "sub": "s1", "nonce": "n1", "iat": now, "exp": now + 300}
    claims.update(changes)
    return jwt.encode(
        header or {"alg": "RS256", "kid": key.kid}, {k: v for k, v in claims.items() if v is not None}, key
    )


def _verify(token: str, keys: KeySet = PUBLIC, nonce: str = "n1") -> dict[str, Any]:
    return sso.verify_id_token(token, provider=SCHOOL, nonce=nonce, keys=lambda refresh: keys)


def test_a_good_token_verifies() -> None:
    assert _verify(_token())["sub"] == "s1"


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"aud": ["portfolio", "other"]},  # several audiences without azp naming us
        {"iss": "https://login.eduid.nl"},  # another issuer's token
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},  # expired
        {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},  # issued in the future
        {"iat": None},
        {"nonce": "replayed-from-an-earlier-login"},
        {"nonce": None},
    ],
)
def test_a_token_with_wrong_claims_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(sso.SsoRefused):
        _verify(_token(**changes))


def test_alg_none_is_refused() -> None:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": SCHOOL.issuer, "aud": "portfolio", "sub": "s1", "nonce": "n1", "iat": now, "exp": now + 300}
    with pytest.raises(sso.SsoRefused):
        _verify(f"{part({'alg': 'none'})}.{part(claims)}.")


def test_a_signature_by_an_unknown_key_is_refused() -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "school-1"})  # even under a known kid
    with pytest.raises(sso.SsoRefused):
        _verify(_token(stranger))
    unknown_kid = RSAKey.generate_key(2048, parameters={"kid": "nobody"})
    with pytest.raises(sso.SsoRefused):
        _verify(_token(unknown_kid))


def test_an_unknown_kid_fetches_the_keys_again_once() -> None:
    """Key rotation: the issuer's new key is not in our cached set yet; one refetch finds it."""
    new = RSAKey.generate_key(2048, parameters={"kid": "school-2", "alg": "RS256"})
    rotated = KeySet([RSAKey.import_key(new.as_dict(private=False))])
    calls: list[bool] = []

    def keys(refresh: bool) -> KeySet:
        calls.append(refresh)
        return rotated if refresh else PUBLIC

    assert sso.verify_id_token(_token(new), provider=SCHOOL, nonce="n1", keys=keys)["sub"] == "s1"
    assert calls == [False, True]


def test_export_covers_and_erasure_removes_the_linked_identity(
    client: Browser, db: Session, world: World, app: Any
) -> None:
    from app.privacy import erasure, export

    token = _activation(db, world.bystander)
    assert _provider_login(client, "guest", "bea-eduid", f"?activatie={token}").status_code == 303
    db.expire_all()
    collected = export.collect(db, person=db.get(User, world.bystander.id) or world.bystander)
    rows = collected["sign_in_identity"][1]
    assert [(r["sub"], r["email"]) for r in rows] == [("bea-eduid", "bea@elders.nl")]
    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=world.bystander.id or 0,
        reason="Verzoek van betrokkene (AVG art. 17), test",
        confirmation=world.bystander.email,
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()
    assert _identities(db) == 0


def test_the_coordinator_sees_linked_school_accounts_and_sets_institutions(
    client: Browser, client_factory: Any, db: Session, world: World
) -> None:
    from tests.conftest import login

    sso_institutions.set_institutions(
        db, programme_id=world.programme.id or 0, institutions={"school.example"}, actor_id=None
    )
    db.commit()
    assert _provider_login(client, "school", "lotte-sub").status_code == 303
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    page = coordinator.get(f"/opleidingen/{world.programme.id}/schoolaccounts")
    assert page.status_code == 200
    row = page.text.split("Lotte de Vries", 1)[1].split("</tr>", 1)[0]
    assert "SURFconext" in row and "school.example" in row and "student" in row
    assert "Niet gekoppeld" in page.text.split("Anouk Visser", 1)[1].split("</tr>", 1)[0]
    saved = coordinator.post(
        f"/opleidingen/{world.programme.id}/schoolaccounts", data={"institutions": "school.example\nHogeschool.NL"}
    )
    assert saved.status_code == 303
    db.expire_all()
    assert sso_institutions.institutions_of(db, programme_id=world.programme.id or 0) == [
        "hogeschool.nl",
        "school.example",
    ]
    # Another programme's coordinator does not see this one.
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.get(f"/opleidingen/{world.programme.id}/schoolaccounts").status_code == 404


def test_an_institution_that_is_not_a_domain_is_refused_next_to_the_field(
    client_factory: Any, db: Session, world: World
) -> None:
    from tests.conftest import login

    sso_institutions.set_institutions(
        db, programme_id=world.programme.id or 0, institutions={"school.example"}, actor_id=None
    )
    db.commit()
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    typed = "hogeschool.nl\nDe Hogeschool van Utrecht"
    refused = coordinator.post(f"/opleidingen/{world.programme.id}/schoolaccounts", data={"institutions": typed})
    assert refused.status_code == 422
    area = refused.text.split('id="instellingen-fout"', 1)[1].split("</div>", 1)[0]
    assert "is geen instelling" in area and "de hogeschool van utrecht" in area
    assert 'aria-invalid="true"' in refused.text.split('id="institutions"', 1)[1].split(">", 1)[0]
    assert typed in refused.text  # what was typed is still in the field
    db.expire_all()
    assert sso_institutions.institutions_of(db, programme_id=world.programme.id or 0) == ["school.example"]
    # A name longer than the column holds is refused the same way, not a database error.
    too_long = coordinator.post(
        f"/opleidingen/{world.programme.id}/schoolaccounts", data={"institutions": "a" * 300 + ".nl"}
    )
    assert too_long.status_code == 422 and "is geen instelling" in too_long.text


# --- eduPersonPrincipalName, the start's limit, erasure during a login, the welcome mail -------------------------


def _import_sanne(db: Session, world: World, settings: Settings) -> User:
    from app.cohorts import people_import

    data = (
        b"naam;e-mail;rol;studentnummer;eduperson_principal_name\r\n"
        b"Sanne Bos;sanne@student.nl;student;600101;sanne.bos@SCHOOL.example\r\n"
    )
    people_import.import_people(db, actor=None, cohort=world.cohort, data=data, settings=settings)
    db.commit()
    sanne = accounts.get_user_by_email(db, email="sanne@student.nl")
    assert sanne is not None and sanne.principal_name == "sanne.bos@school.example"
    return sanne


def test_the_principal_name_links_when_the_programme_lists_the_institution(
    client: Browser, db: Session, world: World, settings: Settings
) -> None:
    from app.audit.models import AuditEvent

    sanne = _import_sanne(db, world, settings)
    sso_institutions.set_institutions(
        db, programme_id=world.programme.id or 0, institutions={"school.example"}, actor_id=None
    )
    db.commit()
    back = _provider_login(client, "school", "sanne-sub")
    assert back.status_code == 303, back.text
    identity = db.exec(select(SignInIdentity)).one()
    assert (identity.sub, identity.user_id) == ("sanne-sub", sanne.id)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "user.sso_linked")).one()
    assert event.data["via"] == "principal_name"


def test_the_principal_name_does_not_link_when_the_programme_lists_no_institution(
    client: Browser, db: Session, world: World, settings: Settings
) -> None:
    _import_sanne(db, world, settings)
    back = _provider_login(client, "school", "sanne-sub")
    assert back.status_code == 403 and "nog niet gekoppeld" in back.text
    assert _identities(db) == 0 and not client.cookies.get("pf_session")


def test_a_principal_name_two_users_share_links_neither(
    client: Browser, db: Session, world: World, settings: Settings
) -> None:
    sanne = _import_sanne(db, world, settings)
    for programme in (world.programme, world.other_programme):
        sso_institutions.set_institutions(
            db, programme_id=programme.id or 0, institutions={"school.example"}, actor_id=None
        )
    other = db.get(User, world.other_student.id)
    assert other is not None
    other.principal_name = sanne.principal_name  # not through the import, which refuses it
    db.add(other)
    db.commit()
    assert _provider_login(client, "school", "sanne-sub").status_code == 403
    assert _identities(db) == 0


def test_an_email_claim_still_does_not_link_with_principal_names_on(
    client: Browser, db: Session, world: World, settings: Settings
) -> None:
    """The lookalike's e-mail claim is the coordinator's address, whose account has a principal name too."""
    sso_institutions.set_institutions(
        db, programme_id=world.programme.id or 0, institutions={"school.example"}, actor_id=None
    )
    coordinator = db.get(User, world.coordinator.id)
    assert coordinator is not None
    coordinator.principal_name = "coord@school.nl"
    db.add(coordinator)
    db.commit()
    back = _provider_login(client, "school", "lookalike-sub")
    assert back.status_code == 403 and "nog niet gekoppeld" in back.text
    assert _identities(db) == 0


def test_a_client_that_starts_too_many_logins_is_refused(client: Browser, db: Session, world: World) -> None:
    from sqlmodel import update

    from app.accounts import sso_link
    from app.accounts.sso_models import SsoLoginState

    def states() -> int:
        db.expire_all()
        return db.exec(select(func.count()).select_from(SsoLoginState)).one()

    for _ in range(sso_link.MAX_LOGINS_PER_CLIENT):
        assert client.get("/login/sso/school").status_code == 303
    refused = client.get("/login/sso/school")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "600"
    assert "te veel inlogpogingen met een schoolaccount" in refused.text
    assert "location" not in refused.headers and states() == sso_link.MAX_LOGINS_PER_CLIENT
    # Ten minutes later the old logins have expired: a new start works again.
    db.exec(update(SsoLoginState).values(expires_at=utcnow() - timedelta(seconds=1)))  # type: ignore[call-overload]
    db.commit()
    assert client.get("/login/sso/school").status_code == 303 and states() == 1


def test_erasing_a_person_with_a_login_in_progress_from_their_welcome_mail(
    client: Browser, db: Session, world: World, app: Any
) -> None:
    from app.accounts.sso_models import SsoLoginState
    from app.privacy import erasure

    token = _activation(db, world.bystander)
    assert client.get(f"/login/sso/guest?activatie={token}").status_code == 303
    assert db.exec(select(SsoLoginState)).one().activation_token_id is not None
    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=world.bystander.id or 0,
        reason="Verzoek van betrokkene (AVG art. 17), test",
        confirmation=world.bystander.email,
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()
    db.expire_all()
    assert db.exec(select(func.count()).select_from(SsoLoginState)).one() == 0
    assert db.exec(select(func.count()).select_from(PasswordResetToken)).one() == 0


def test_the_export_has_the_principal_name(db: Session, world: World, settings: Settings) -> None:
    from app.privacy import export

    sanne = _import_sanne(db, world, settings)
    rows = export.collect(db, person=sanne)["user_account"][1]
    assert rows[0]["principal_name"] == "sanne.bos@school.example"


def test_the_welcome_mail_mentions_the_school_account_only_when_sso_is_on(
    db: Session, world: World, settings: Settings
) -> None:
    from app.accounts.models import Role
    from app.notifications.models import OutboxMessage

    for email, config in (
        ("met@student.nl", settings),
        ("zonder@student.nl", settings.model_copy(update={"oidc_providers": ""})),
    ):
        person = accounts.create_user(db, email=email, name="Nieuw", roles={Role.student})
        accounts.send_welcome(db, user=person, settings=config, actor_id=None)
    db.commit()
    bodies = {m.to_address: m.body for m in db.exec(select(OutboxMessage)).all()}
    assert "U kunt ook inloggen met SURFconext of eduID" in bodies["met@student.nl"]
    assert "/activeren/" in bodies["zonder@student.nl"] and "U kunt ook inloggen" not in bodies["zonder@student.nl"]


def test_a_coordinator_signing_in_with_the_school_account_is_not_asked_for_a_second_factor(
    app: Any, client: Browser, client_factory: Any, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SECOND_FACTOR_REQUIRED applies to password logins: a school account relies on the institution's MFA."""
    monkeypatch.setattr(app.state.settings, "second_factor_required", True)
    password = client_factory()
    answer = password.post("/login", data={"email": world.coordinator.email, "password": PASSWORD, "next": "/"})
    assert answer.headers["location"] == "/tweede-factor"  # the same coordinator with a password: asked
    token = _activation(db, world.coordinator)
    assert _provider_login(client, "guest", "bea-eduid", f"?activatie={token}").status_code == 303
    again = client_factory()  # and the next time, with the linked account alone
    back = _provider_login(again, "guest", "bea-eduid")
    assert back.status_code == 303 and back.headers["location"] == "/"
    for browser in (client, again):
        assert browser.get("/", follow_redirects=True).url.path == "/cohorten"
        assert browser.get("/cohorten").status_code == 200
    db.expire_all()
    assert (
        db.exec(select(func.count()).select_from(UserSession).where(col(UserSession.pending_step).is_not(None))).one()
        == 1
    )
