"""LTI 1.3 tool: registration, the published keys with rotation, login initiation and the launch, verified
against a platform that is not our code (lti1p3platform, PyPI, tests/lti/platform.py): it builds the login
initiation and signs the id_token; its JWKS comes from a loopback HTTP server."""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.exceptions import InvalidTag
from fastapi import FastAPI
from sqlmodel import Session, func, select

from app.accounts.models import Role, UserRole, UserSession
from app.accounts.sso_models import SignInIdentity
from app.audit.models import AuditEvent
from app.config import Settings
from app.lti import keys, launch, service
from app.lti.models import LtiContext, LtiLaunchState, LtiToolKey
from app.main import CSP
from tests.conftest import Browser, World, login

PORTFOLIO = "/portfolio"


def _required() -> bool:
    return os.environ.get("REQUIRE_LTI_PLATFORM") == "1" or os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def lib() -> ModuleType:
    try:
        from tests.lti import platform
    except ImportError:
        if _required():
            raise
        pytest.skip("lti1p3platform is not installed (REQUIRE_LTI_PLATFORM=1 makes this a failure)")
    return platform


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tool behind https, as a platform requires."""
    return settings.model_copy(update={"base_url": "https://testserver"})


@pytest.fixture
def https(app: FastAPI) -> Iterator[Callable[[], Browser]]:
    """Browsers on https://testserver: the launch cookie is Secure (SameSite=None needs it)."""
    made: list[Browser] = []

    def make() -> Browser:
        browser = Browser(app, base_url="https://testserver", follow_redirects=False)
        browser.app_ref = app
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.close()


@dataclass
class Env:
    lib: ModuleType
    platform: Any  # tests.lti.platform.Platform
    key: str
    registered_id: int
    published: list[Any]  # the platforms whose keys the loopback JWKS serves
    hits: list[str]  # requests to that JWKS


@pytest.fixture
def env(lib: ModuleType, app: FastAPI, db: Session, world: World) -> Iterator[Env]:
    key = lib.new_private_key()
    platform = lib.Platform(private_key=key)
    launch.forget_keys()
    published, hits = [platform], []
    with lib.jwks_server(published, hits) as jwks_url:
        registered = service.register_platform(
            db,
            data=service.PlatformInput(
                name="Brightspace",
                issuer=lib.ISSUER,
                client_id=lib.CLIENT_ID,
                deployment_ids=lib.DEPLOYMENT_ID,
                auth_login_url=f"{lib.ISSUER}/d2l/lti/authenticate",
                token_url=f"{lib.ISSUER}/core/connect/token",
                jwks_url=jwks_url,
                frame_origin=lib.FRAME_ORIGIN,
            ),
            actor_id=world.admin.id or 0,
        )
        assert registered.id is not None
        context = service.context_of(db, platform_id=registered.id, context_id="course-1", title="Jobcoach")
        service.link_context(
            db, context_row_id=context.id or 0, cohort_id=world.cohort.id or 0, actor_id=world.admin.id or 0
        )
        db.commit()
        yield Env(lib, platform, key, registered.id, published, hits)
    launch.forget_keys()


def start(browser: Browser, env: Env, *, user: str = "lotte-sub") -> str:
    """The platform sends the browser to our /lti/login; we answer with the platform's authorization URL."""
    url = env.lib.login_url(env.platform, user=user)
    response = browser.get(url)
    assert response.status_code == 302, response.text
    location: str = response.headers["location"]
    return location


def post_launch(browser: Browser, data: dict[str, Any]) -> Any:
    assert data["launch_url"] == "https://testserver/lti/launch"
    return browser.post("/lti/launch", data={"id_token": data["id_token"], "state": data["state"]}, csrf=False)


def sessions(db: Session) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(UserSession)).one()


def student_launch(browser: Browser, env: Env, **kwargs: Any) -> Any:
    location = start(browser, env, user=kwargs.pop("sub", "lotte-sub"))
    kwargs.setdefault("roles", [env.lib.LEARNER])
    kwargs.setdefault("student_number", "500001")
    data = env.lib.launch(env.platform, location, sub=kwargs.pop("as_sub", "lotte-sub"), **kwargs)
    return post_launch(browser, data)


# --- the tool's keys --------------------------------------------------------------------------------------------


def test_jwks_publishes_the_live_keys_and_two_during_rotation(
    app: FastAPI, db: Session, client: Browser, world: World
) -> None:
    first = client.get("/lti/jwks").json()["keys"]
    assert len(first) == 1 and first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256" and first[0]["use"] == "sig"
    assert "d" not in first[0] and "p" not in first[0], "only public parts are published"
    secret = app.state.settings.secret_key
    newer = keys.add_key(db, secret_key=secret, actor_id=world.admin.id)
    db.commit()
    during = client.get("/lti/jwks").json()["keys"]
    assert [k["kid"] for k in during] == [newer.kid, first[0]["kid"]]
    assert keys.signing_key(db, secret_key=secret)[0] == newer.kid
    with pytest.raises(keys.LastKey):
        keys.retire_key(db, key_id=newer.id or 0, actor_id=world.admin.id or 0)
    old = db.exec(select(LtiToolKey).where(LtiToolKey.kid == first[0]["kid"])).one()
    keys.retire_key(db, key_id=old.id or 0, actor_id=world.admin.id or 0)
    db.commit()
    assert [k["kid"] for k in client.get("/lti/jwks").json()["keys"]] == [newer.kid]


def test_the_private_key_is_stored_encrypted_under_the_secret_key(app: FastAPI, db: Session) -> None:
    row = keys.ensure_key(db, secret_key=app.state.settings.secret_key)
    assert "PRIVATE" not in row.private_key_encrypted
    assert b"PRIVATE KEY" in keys.decrypt(row.private_key_encrypted, secret_key=app.state.settings.secret_key)
    with pytest.raises(InvalidTag):
        keys.decrypt(row.private_key_encrypted, secret_key="another-secret")


def test_the_beheerder_rotates_and_retires_keys_on_the_page(client: Browser, db: Session, world: World) -> None:
    login(client, world.admin.email)
    assert client.get("/beheer/lti/sleutels").status_code == 200
    assert client.post("/beheer/lti/sleutels").status_code == 303
    live = keys.live_keys(db)
    assert len(live) == 2
    newest, older = live
    refused = client.post(f"/beheer/lti/sleutels/{newest.id}/intrekken")
    assert refused.status_code == 409 and "nieuwste sleutel" in refused.text
    assert client.post(f"/beheer/lti/sleutels/{older.id}/intrekken").status_code == 303
    db.expire_all()
    assert [k.id for k in keys.live_keys(db)] == [newest.id]


# --- login initiation ---------------------------------------------------------------------------------------------


def test_login_initiation_redirects_to_the_platform_with_state_and_nonce(
    env: Env, https: Callable[[], Browser]
) -> None:
    browser = https()
    location = start(browser, env)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{env.lib.ISSUER}/d2l/lti/authenticate"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["scope"] == "openid" and query["response_type"] == "id_token"
    assert query["response_mode"] == "form_post" and query["prompt"] == "none"
    assert query["client_id"] == env.lib.CLIENT_ID
    assert query["redirect_uri"] == "https://testserver/lti/launch"
    assert query["login_hint"] == "lotte-sub" and query["lti_message_hint"] == "resource-link-1"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["state"] != query["nonce"]
    cookie = next(c for c in browser.cookies.jar if c.name.startswith("pf_lti_"))
    assert cookie.secure and cookie.path == "/lti/launch"
    raw = [h for h in browser.get(env.lib.login_url(env.platform, user="x")).headers.get_list("set-cookie")]
    assert any("SameSite=none" in h and "Secure" in h and "HttpOnly" in h for h in raw), raw


def test_login_initiation_by_post_without_csrf_token(env: Env, https: Callable[[], Browser]) -> None:
    url = env.lib.login_url(env.platform, user="lotte-sub")
    form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    response = https().post("/lti/login", data=form, csrf=False)
    assert response.status_code == 302 and response.headers["location"].startswith(env.lib.ISSUER)


def test_login_initiation_from_an_unknown_platform_is_refused(env: Env, https: Callable[[], Browser]) -> None:
    other = env.lib.Platform(private_key=env.key, iss="https://canvas.elders.example")
    response = https().get(env.lib.login_url(other, user="lotte-sub"))
    assert response.status_code == 400 and "niet bij het portfolio geregistreerd" in response.text
    assert not any(c.startswith("pf_lti_") for c in response.cookies)


# --- the launch -------------------------------------------------------------------------------------------------


def test_a_launch_from_the_platform_lands_a_linked_student_on_their_portfolio(
    env: Env, https: Callable[[], Browser], db: Session, world: World
) -> None:
    browser = https()
    response = student_launch(browser, env)
    assert response.status_code == 303 and response.headers["location"] == PORTFOLIO
    assert sessions(db) == 1
    page = browser.get(PORTFOLIO)
    assert page.status_code == 200 and "Lotte de Vries" in page.text
    # The first launch linked (issuer, sub) by the student number the platform sent: later launches need none.
    identity = db.exec(select(SignInIdentity).where(SignInIdentity.sub == "lotte-sub")).one()
    assert identity.issuer == env.lib.ISSUER and identity.user_id == world.student.id
    again = student_launch(https(), env, student_number=None)
    assert again.status_code == 303 and again.headers["location"] == PORTFOLIO
    assert len(env.hits) == 1, "the platform's keys are kept between launches"
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "lti.launch")).all()
    assert [e.actor_id for e in events] == [world.student.id, world.student.id]
    # Nothing in a launch changed anyone's roles.
    roles = db.exec(select(UserRole.role).where(UserRole.user_id == world.student.id)).all()
    assert [Role(r) for r in roles] == [Role.student]


def test_a_platform_that_rotated_its_key_is_fetched_again(
    env: Env, https: Callable[[], Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert student_launch(https(), env).status_code == 303
    # A token with a key we do not know, soon after a fetch: refused without fetching again.
    stranger = env.lib.Platform(private_key=env.lib.new_private_key())
    location = start(browser := https(), env)
    refused = post_launch(browser, env.lib.launch(stranger, location, sub="lotte-sub", roles=[env.lib.LEARNER]))
    assert refused.status_code == 400 and len(env.hits) == 1
    monkeypatch.setattr(launch, "REFRESH_SECONDS", 0)  # later: the platform may have rotated
    rotated = env.lib.Platform(private_key=env.lib.new_private_key())
    env.published[:] = [rotated]  # the platform now publishes (and signs with) only its new key
    location = start(browser := https(), env)
    response = post_launch(browser, env.lib.launch(rotated, location, sub="lotte-sub", roles=[env.lib.LEARNER]))
    assert response.status_code == 303 and response.headers["location"] == PORTFOLIO
    assert len(env.hits) == 2, "an unknown kid fetches the key set once more"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad signature", "kon niet worden gecontroleerd"),
        ("tampered", "kon niet worden gecontroleerd"),
        ("wrong iss", "kon niet worden gecontroleerd"),
        ("wrong aud", "kon niet worden gecontroleerd"),
        ("wrong azp", "kon niet worden gecontroleerd"),
        ("expired", "kon niet worden gecontroleerd"),
        ("wrong nonce", "kon niet worden gecontroleerd"),
        ("reused nonce", "verlopen of al gebruikt"),
        ("unknown deployment", "deployment"),
        ("wrong state cookie", "verlopen of al gebruikt"),
        ("no state cookie", "verlopen of al gebruikt"),
        ("wrong message type", "ondersteunt het portfolio (nog) niet"),
        ("wrong version", "ondersteunt het portfolio (nog) niet"),
    ],
)
def test_each_failed_verification_is_refused_in_dutch_without_a_session(
    case: str, message: str, env: Env, https: Callable[[], Browser], db: Session, settings: Settings
) -> None:
    lib, browser = env.lib, https()
    location = start(browser, env)
    platform, extra, expires = env.platform, {}, 300
    claim = "https://purl.imsglobal.org/spec/lti/claim/"
    if case == "bad signature":  # another key than the platform publishes
        platform = lib.Platform(private_key=lib.new_private_key())
    elif case == "wrong iss":
        extra = {"iss": "https://canvas.elders.example"}
    elif case == "wrong aud":
        extra = {"aud": "another-tool", "azp": "another-tool"}
    elif case == "wrong azp":
        extra = {"aud": [lib.CLIENT_ID, "another-tool"], "azp": "another-tool"}
    elif case == "expired":
        expires = -600
    elif case == "unknown deployment":
        extra = {claim + "deployment_id": "deployment-elders"}
    elif case == "wrong message type":
        extra = {claim + "message_type": "LtiDeepLinkingRequest"}
    elif case == "wrong version":
        extra = {claim + "version": "1.1"}
    data = lib.launch(
        platform,
        location,
        sub="lotte-sub",
        roles=[lib.LEARNER],
        student_number="500001",
        extra=extra,
        expires_in=expires,
    )
    if case == "tampered":  # the right key signed it, then a claim was changed
        head, body, signature = data["id_token"].split(".")
        data["id_token"] = ".".join([head, body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB"), signature])
    if case == "wrong nonce":  # a token for another login of the same browser
        other = start(browser, env)
        data["id_token"] = lib.launch(platform, other, sub="lotte-sub", roles=[lib.LEARNER])["id_token"]
    before = 0
    if case == "reused nonce":  # a replay: the same id_token and state again, with the browser's launch cookie
        cookie = next(c for c in browser.cookies.jar if c.name.startswith("pf_lti_"))
        assert post_launch(browser, data).status_code == 303
        before = sessions(db)
        browser.cookies.set(cookie.name, cookie.value or "", domain=cookie.domain, path=cookie.path)
    elif case in ("wrong state cookie", "no state cookie"):
        cookie = next(c for c in browser.cookies.jar if c.name.startswith("pf_lti_"))
        browser.cookies.clear()
        if case == "wrong state cookie":
            browser.cookies.set(cookie.name, "someone-else", domain=cookie.domain, path=cookie.path)
    response = post_launch(browser, data)
    assert response.status_code == 400, response.text
    assert message in response.text, response.text
    assert "Openen vanuit de cursus niet gelukt" in response.text
    assert sessions(db) == before
    assert settings.session_cookie not in response.cookies


# --- who may launch -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["Instructor"], "Docenten openen het portfolio nog niet"),
        (["Learner", "Instructor"], "Docenten openen het portfolio nog niet"),
        (["Mentor"], "Docenten openen het portfolio nog niet"),
        ([], "Met uw rol in deze cursus"),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], "Met uw rol in deze cursus"),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], "Met uw rol in deze cursus"),
    ],
)
def test_instructors_and_unknown_roles_get_nothing(
    roles: list[str], message: str, env: Env, https: Callable[[], Browser], db: Session, world: World
) -> None:
    full = [r if "://" in r else env.lib.LIS + "membership#" + r for r in roles]
    # The coordinator's own student number would not help either: a teaching role never opens anything.
    response = student_launch(https(), env, roles=full)
    assert response.status_code == 400 and message in response.text
    assert sessions(db) == 0
    assert db.exec(select(func.count()).select_from(SignInIdentity)).one() == 0


def test_an_unknown_learner_is_told_their_account_is_not_linked(
    env: Env, https: Callable[[], Browser], db: Session
) -> None:
    for number in (None, "999999", "500002"):  # none, nobody's, a student of another programme's cohort
        response = student_launch(https(), env, sub="stranger", as_sub="stranger", student_number=number)
        assert response.status_code == 400 and "Uw account is nog niet gekoppeld" in response.text
    assert sessions(db) == 0
    assert db.exec(select(func.count()).select_from(SignInIdentity)).one() == 0


def test_a_linked_student_of_another_cohort_is_refused(
    env: Env, https: Callable[[], Browser], db: Session, world: World
) -> None:
    db.add(SignInIdentity(issuer=env.lib.ISSUER, sub="daan-sub", user_id=world.other_student.id or 0))
    db.commit()
    response = student_launch(https(), env, sub="daan-sub", as_sub="daan-sub", student_number=None)
    assert response.status_code == 400 and "niet ingeschreven in het cohort" in response.text
    assert sessions(db) == 0


def test_a_course_without_a_cohort_is_refused_until_the_beheerder_links_it_once(
    env: Env, https: Callable[[], Browser], client: Browser, db: Session, world: World
) -> None:
    response = student_launch(https(), env, context_id="course-2")
    assert response.status_code == 400 and "nog niet aan een cohort" in response.text
    assert sessions(db) == 0
    row = db.exec(select(LtiContext).where(LtiContext.context_id == "course-2")).one()
    assert row.cohort_id is None and row.title == "Jobcoach 2026-A"
    login(client, world.admin.email)
    assert "Jobcoach 2026-A" in client.get("/beheer/lti").text
    linked = client.post(f"/beheer/lti/cursussen/{row.id}", data={"cohort_id": str(world.cohort.id)})
    assert linked.status_code == 303
    again = client.post(f"/beheer/lti/cursussen/{row.id}", data={"cohort_id": str(world.other_cohort.id)})
    assert again.status_code == 422 and "al aan een cohort gekoppeld" in again.text
    db.expire_all()
    assert db.get(LtiContext, row.id).cohort_id == world.cohort.id  # type: ignore[union-attr]
    assert student_launch(https(), env, context_id="course-2").headers["location"] == PORTFOLIO


def test_a_blocked_student_is_refused(env: Env, https: Callable[[], Browser], db: Session, world: World) -> None:
    world.student.is_active = False
    db.add(world.student)
    db.commit()
    response = student_launch(https(), env)
    assert response.status_code == 400 and "geblokkeerd" in response.text
    assert sessions(db) == 0


# --- CSRF and framing -------------------------------------------------------------------------------------------


def test_the_launch_needs_no_csrf_token_but_other_posts_still_do(
    env: Env, https: Callable[[], Browser], world: World
) -> None:
    browser = https()
    assert student_launch(browser, env).status_code == 303  # posted without a token (csrf=False)
    # Signed in now, the same browser's other POSTs need the token as before.
    refused = browser.post("/logout", csrf=False)
    assert refused.status_code == 403 and "beveiligingscode" in refused.text
    admin = https()
    login(admin, world.admin.email)
    form = {"name": "Canvas", "issuer": "https://canvas.example"}
    assert admin.post("/beheer/lti", data=form, csrf=False).status_code == 403
    assert admin.post("/beheer/lti/sleutels", csrf=False).status_code == 403


def test_lti_pages_may_be_framed_by_registered_platforms_only(
    env: Env, https: Callable[[], Browser], client: Browser
) -> None:
    refused = https().post("/lti/launch", data={"id_token": "x", "state": "y"}, csrf=False)
    assert refused.status_code == 400
    policy = refused.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {env.lib.FRAME_ORIGIN};" in policy
    assert "x-frame-options" not in refused.headers
    # Every other directive as everywhere else.
    assert policy.replace(f"'self' {env.lib.FRAME_ORIGIN}", "'none'") == CSP
    other = client.get("/login")
    assert "frame-ancestors 'none'" in other.headers["content-security-policy"]
    assert other.headers["x-frame-options"] == "DENY"
    assert client.get("/lti/jwks").headers["content-security-policy"] == CSP  # not a page: no frame


# --- registration -------------------------------------------------------------------------------------------------

FORM = {
    "name": "Canvas",
    "issuer": "https://canvas.instructure.com",
    "client_id": "10000000000001",
    "deployment_ids": "1:abc\n2:def",
    "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "token_url": "https://sso.canvaslms.com/login/oauth2/token",
    "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks",
    "frame_origin": "https://school.instructure.com",
}


def test_only_the_beheerder_registers_platforms(
    client_factory: Callable[[], Browser], db: Session, world: World
) -> None:
    for user in (world.coordinator, world.student, world.assessor):
        other = client_factory()
        login(other, user.email)
        assert other.get("/beheer/lti").status_code == 404
        assert other.post("/beheer/lti", data=FORM).status_code == 404
        assert other.get("/beheer/lti/sleutels").status_code == 404
    assert service.list_platforms(db) == []
    admin = client_factory()
    login(admin, world.admin.email)
    page = admin.get("/beheer/lti")
    assert page.status_code == 200 and "https://testserver/lti/login" in page.text
    assert admin.post("/beheer/lti", data=FORM).status_code == 303
    (platform,) = service.list_platforms(db)
    assert platform.deployments() == ["1:abc", "2:def"] and platform.frame_origin == FORM["frame_origin"]
    duplicate = admin.post("/beheer/lti", data=FORM)
    assert duplicate.status_code == 422 and "al geregistreerd" in duplicate.text
    changed = admin.post(f"/beheer/lti/{platform.id}", data={**FORM, "deployment_ids": "3:ghi"})
    assert changed.status_code == 303
    db.expire_all()
    assert service.get_platform(db, platform_id=platform.id or 0).deployments() == ["3:ghi"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("issuer", "http://canvas.example", "https-adres"),
        ("jwks_url", "ftp://x.example/jwks", "https-adressen"),
        ("frame_origin", "https://school.example/pad", "zonder pad"),
        ("deployment_ids", "  ", "deployment-id"),
        ("client_id", "", "client-id"),
    ],
)
def test_registration_is_checked_in_dutch(
    field: str, value: str, message: str, client: Browser, db: Session, world: World
) -> None:
    login(client, world.admin.email)
    response = client.post("/beheer/lti", data={**FORM, field: value})
    assert response.status_code == 422 and message in response.text
    assert service.list_platforms(db) == []


def test_a_client_cannot_fill_the_table_with_launches_in_progress(
    env: Env, https: Callable[[], Browser], db: Session
) -> None:
    browser = https()
    url = env.lib.login_url(env.platform, user="lotte-sub")
    for _ in range(launch.MAX_LAUNCHES_PER_CLIENT):
        assert browser.get(url).status_code == 302
    refused = browser.get(url)
    assert refused.status_code == 429 and "te veel aanmeldingen" in refused.text
    assert refused.headers["retry-after"] == str(launch.LAUNCH_MINUTES * 60)
    db.expire_all()
    assert db.exec(select(func.count()).select_from(LtiLaunchState)).one() == launch.MAX_LAUNCHES_PER_CLIENT
