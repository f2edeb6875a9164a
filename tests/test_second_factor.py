"""The second factor for password logins (docs/second-factor.md): enrolment with a real authenticator code, the
code after the password, the limit, replay, recovery codes, what a pending login may open, the beheerder's reset."""

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from app.accounts import second_factor
from app.accounts.models import User, UserSession
from app.accounts.second_factor_models import RecoveryCode, SecondFactor
from app.audit.models import AuditEvent
from app.config import Settings
from app.db import utcnow
from tests.conftest import PASSWORD, Browser, World

NOW = 1_900_000_000.0  # a fixed clock: codes are computed for it, whatever the time is while the tests run
STEP = 30


@pytest.fixture
def required(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """SECOND_FACTOR_REQUIRED on (conftest switches it off for the other tests), and a clock that stands still."""
    settings: Settings = app.state.settings
    monkeypatch.setattr(settings, "second_factor_required", True)
    monkeypatch.setattr(second_factor, "_clock", lambda: NOW)
    return settings


def password_login(client: Browser, user: User, next: str = "/") -> str:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": next})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def session_token(client: Browser) -> str:
    token = client.cookies.get("pf_session")
    assert token
    return token


def code_at(secret: str, moment: float = NOW) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrol_in_browser(client: Browser) -> tuple[str, list[str]]:
    """Set up the app from the enrolment page, as a person would: the key shown, a code from it."""
    page = client.get("/tweede-factor/instellen")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "qr-code" in page.text  # the QR code, inline
    shown = re.search(r'class="second-factor-secret">([A-Z2-7 ]+)<', page.text)
    assert shown, "the key is not shown for manual entry"
    assert all(len(group) == 4 for group in shown.group(1).split(" "))
    secret = shown.group(1).replace(" ", "")
    done = client.post("/tweede-factor/instellen", data={"code": code_at(secret), "next": "/"})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.text)
    assert len(codes) == 10
    return secret, codes


def give_factor(db: Session, user: User, settings: Settings) -> tuple[str, list[str]]:
    """A confirmed second factor, set up through the service (its first code used at the step before NOW)."""
    secret = second_factor.begin_enrolment(db, user_id=user.id or 0, settings=settings)
    codes = second_factor.confirm_enrolment(
        db, user=user, code=code_at(secret, NOW - STEP), client="testclient", settings=settings
    )
    db.commit()
    return secret, codes


def actions(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_staff_must_enrol_with_a_real_code_and_then_lands_on_their_page(
    required: Settings, client: Browser, db: Session, world: World
) -> None:
    assert password_login(client, world.coordinator) == "/tweede-factor"
    assert client.get("/tweede-factor").headers["location"] == "/tweede-factor/instellen"
    assert client.get("/cohorten").headers["location"].startswith("/tweede-factor")  # nothing before enrolment
    pending = session_token(client)

    page = client.get("/tweede-factor/instellen").text
    secret = re.search(r'class="second-factor-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    wrong = client.post("/tweede-factor/instellen", data={"code": code_at(secret, NOW + 10 * STEP)})
    assert wrong.status_code == 422 and "Deze code klopt niet" in wrong.text
    assert 'id="code-fout"' in wrong.text and 'aria-invalid="true"' in wrong.text  # next to the field
    assert client.get("/cohorten").status_code == 303

    secret_again, codes = enrol_in_browser(client)
    assert secret_again == secret  # the same key until it is confirmed
    assert session_token(client) != pending  # a new session after the second factor (fixation)
    assert client.get("/cohorten").status_code == 200
    assert actions(db, "user.second_factor_confirmed")[0].object_id == str(world.coordinator.id)
    assert actions(db, "user.second_factor_enrolment_started")
    stored = db.exec(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == world.coordinator.id)).all()
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)  # hashed


def test_the_secret_is_stored_encrypted(required: Settings, db: Session, world: World) -> None:
    secret, _ = give_factor(db, world.coordinator, required)
    stored = db.exec(select(SecondFactor.secret).where(SecondFactor.user_id == world.coordinator.id)).one()
    assert secret not in stored and secret.lower() not in stored.lower()
    assert second_factor._decrypt(stored, user_id=world.coordinator.id or 0, settings=required) == secret
    # Bound to the person (a row copied to another account does not decrypt) and to SECRET_KEY.
    assert second_factor._decrypt(stored, user_id=world.assessor.id or 0, settings=required) is None
    other_key = required.model_copy(update={"secret_key": "another-secret"})
    assert second_factor._decrypt(stored, user_id=world.coordinator.id or 0, settings=other_key) is None


def test_password_then_code_rotates_the_session(
    required: Settings, client: Browser, client_factory: Callable[[], Browser], db: Session, world: World
) -> None:
    secret, _ = give_factor(db, world.coordinator, required)
    assert password_login(client, world.coordinator, next="/cohorten") == "/tweede-factor?next=/cohorten"
    pending = session_token(client)
    form = client.get("/tweede-factor?next=/cohorten")
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.text
    answer = client.post("/tweede-factor", data={"code": code_at(secret), "next": "/cohorten"})
    assert answer.status_code == 303 and answer.headers["location"] == "/cohorten"
    assert session_token(client) != pending
    assert client.get("/cohorten").status_code == 200
    # The pending cookie is dead: whoever held it is not signed in.
    stale = client_factory()
    stale.cookies.set("pf_session", pending)
    assert stale.get("/cohorten").headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "path", ["/cohorten", "/account/tweede-factor", "/beheer/gebruikers", "/kader", "/api/v1/cohorts"]
)
def test_a_pending_login_opens_nothing_but_the_second_factor(
    required: Settings, client: Browser, db: Session, world: World, path: str
) -> None:
    give_factor(db, world.coordinator, required)
    password_login(client, world.coordinator)
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 303
        assert response.headers["location"] == f"/tweede-factor?next={path}"
    assert client.get("/").headers["location"] == "/login"  # the start page does not know them either
    hx = client.get(path, headers={"HX-Request": "true"})
    assert hx.status_code == 401
    # A write is refused too (a coordinator's cohort form), and logging out works.
    assert client.post("/cohorten", data={"name": "X"}).status_code in (303, 401)
    assert client.post("/logout").status_code == 303
    db.expire_all()
    assert db.exec(select(func.count()).select_from(UserSession)).one() == 0


def test_wrong_codes_count_as_failed_logins(required: Settings, client: Browser, db: Session, world: World) -> None:
    secret, _ = give_factor(db, world.coordinator, required)
    password_login(client, world.coordinator)
    for _ in range(required.login_max_failures):
        wrong = client.post("/tweede-factor", data={"code": "000000" if code_at(secret) != "000000" else "111111"})
        assert wrong.status_code == 422
    limited = client.post("/tweede-factor", data={"code": code_at(secret)})
    assert limited.status_code == 429 and "Te veel mislukte inlogpogingen" in limited.text
    assert client.get("/cohorten").status_code == 303  # still pending
    # The same limit as the password: the password form refuses too now.
    again = client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD, "next": "/"})
    assert again.status_code == 429


def test_an_empty_code_is_refused_without_counting(
    required: Settings, client: Browser, db: Session, world: World
) -> None:
    give_factor(db, world.coordinator, required)
    password_login(client, world.coordinator)
    for _ in range(required.login_max_failures + 1):
        assert client.post("/tweede-factor", data={"code": " "}).status_code == 422


def test_a_code_is_accepted_once(
    required: Settings, client_factory: Callable[[], Browser], db: Session, world: World
) -> None:
    secret, _ = give_factor(db, world.coordinator, required)
    first = client_factory()
    password_login(first, world.coordinator)
    assert first.post("/tweede-factor", data={"code": code_at(secret)}).status_code == 303
    # Someone who saw that code (over a shoulder, a phishing page) and knows the password: refused in the same step.
    second = client_factory()
    password_login(second, world.coordinator)
    replay = second.post("/tweede-factor", data={"code": code_at(secret)})
    assert replay.status_code == 422
    assert second.post("/tweede-factor", data={"code": code_at(secret, NOW - STEP)}).status_code == 422  # older
    assert second.post("/tweede-factor", data={"code": code_at(secret, NOW + STEP)}).status_code == 303  # next one


def test_a_recovery_code_works_once(
    required: Settings, client_factory: Callable[[], Browser], db: Session, world: World
) -> None:
    _, codes = give_factor(db, world.coordinator, required)
    first = client_factory()
    password_login(first, world.coordinator)
    assert first.post("/tweede-factor", data={"code": codes[3].upper().replace("-", " ")}).status_code == 303
    assert first.get("/cohorten").status_code == 200
    used = actions(db, "user.recovery_code_used")
    assert len(used) == 1 and used[0].data["left"] == 9
    second = client_factory()
    password_login(second, world.coordinator)
    assert second.post("/tweede-factor", data={"code": codes[3]}).status_code == 422
    assert second.post("/tweede-factor", data={"code": codes[4]}).status_code == 303
    page = second.get("/account/tweede-factor").text
    assert "nog 8 ongebruikte herstelcodes" in page


def test_new_recovery_codes_replace_the_old_ones(
    required: Settings, client: Browser, db: Session, world: World
) -> None:
    secret, old = give_factor(db, world.coordinator, required)
    password_login(client, world.coordinator)
    client.post("/tweede-factor", data={"code": code_at(secret)})
    renewed = client.post("/account/tweede-factor/herstelcodes")
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", renewed.text)
    assert renewed.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert not second_factor._take_recovery_code(db, user_id=world.coordinator.id or 0, code=old[0])
    assert actions(db, "user.recovery_codes_renewed")


def test_a_student_is_not_asked_but_may_opt_in_and_out(
    required: Settings,
    client_factory: Callable[[], Browser],
    db: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    student = client_factory()
    assert password_login(student, world.student) == "/"
    assert student.get("/portfolio").status_code == 200
    page = student.get("/account/tweede-factor").text
    assert "U heeft geen tweede factor ingesteld." in page and 'href="/tweede-factor/instellen"' in page
    secret, _ = enrol_in_browser(student)
    assert "Tweede factor uitzetten" in student.get("/account/tweede-factor").text

    again = client_factory()
    assert password_login(again, world.student) == "/tweede-factor"  # chosen once, asked from now on
    assert again.post("/tweede-factor", data={"code": code_at(secret, NOW + STEP)}).status_code == 303
    wrong = again.post("/account/tweede-factor/uitzetten", data={"code": "123456"})
    assert wrong.status_code == 422 and 'id="code-fout"' in wrong.text
    off = again.post("/account/tweede-factor/uitzetten", data={"code": code_at(secret, NOW + STEP)})
    assert off.status_code == 422  # that code was used: switching off needs a fresh one too
    later = NOW + 2 * STEP
    monkeypatch.setattr(second_factor, "_clock", lambda: later)
    off = again.post("/account/tweede-factor/uitzetten", data={"code": code_at(secret, later)})
    assert off.status_code == 303
    assert second_factor.factor_of(db, user_id=world.student.id or 0) is None
    assert password_login(client_factory(), world.student) == "/"


def test_staff_cannot_switch_it_off_when_required(
    required: Settings, client: Browser, db: Session, world: World
) -> None:
    secret, _ = give_factor(db, world.assessor, required)
    password_login(client, world.assessor)
    assert client.post("/tweede-factor", data={"code": code_at(secret)}).status_code == 303
    assert "Tweede factor uitzetten" not in client.get("/account/tweede-factor").text
    refused = client.post("/account/tweede-factor/uitzetten", data={"code": code_at(secret, NOW + STEP)})
    assert refused.status_code == 403
    assert second_factor.factor_of(db, user_id=world.assessor.id or 0) is not None


def test_without_the_setting_staff_are_not_forced(client: Browser, world: World) -> None:
    assert password_login(client, world.coordinator) == "/"
    assert client.get("/cohorten").status_code == 200


def test_the_beheerder_resets_a_second_factor(
    required: Settings, client_factory: Callable[[], Browser], db: Session, world: World
) -> None:
    secret, _ = give_factor(db, world.coordinator, required)
    coordinator = client_factory()
    password_login(coordinator, world.coordinator)
    assert coordinator.post("/tweede-factor", data={"code": code_at(secret)}).status_code == 303

    admin = client_factory()
    password_login(admin, world.admin)
    admin_secret, _ = enrol_in_browser(admin)
    users_page = admin.get("/beheer/gebruikers").text
    assert f"/beheer/gebruikers/{world.coordinator.id}/tweede-factor-resetten" in users_page
    assert f"/beheer/gebruikers/{world.student.id}/tweede-factor-resetten" not in users_page  # has none
    unconfirmed = admin.post(f"/beheer/gebruikers/{world.coordinator.id}/tweede-factor-resetten")
    assert unconfirmed.status_code == 422
    # Others may not: what they may not do does not exist for them.
    assert (
        coordinator.post(
            f"/beheer/gebruikers/{world.admin.id}/tweede-factor-resetten", data={"bevestig": "ja"}
        ).status_code
        == 404
    )
    assert (
        admin.post(f"/beheer/gebruikers/{world.admin.id}/tweede-factor-resetten", data={"bevestig": "ja"}).status_code
        == 422
    )  # not one's own

    done = admin.post(f"/beheer/gebruikers/{world.coordinator.id}/tweede-factor-resetten", data={"bevestig": "ja"})
    assert done.status_code == 303 and done.headers["location"] == "/beheer/gebruikers"
    event = actions(db, "user.second_factor_reset")
    assert len(event) == 1 and event[0].actor_id == world.admin.id and event[0].object_id == str(world.coordinator.id)
    assert second_factor.factor_of(db, user_id=world.coordinator.id or 0) is None
    assert (
        db.exec(
            select(func.count()).select_from(RecoveryCode).where(col(RecoveryCode.user_id) == world.coordinator.id)
        ).one()
        == 0
    )
    # The coordinator's session ended at once; at the next login they set up a new one.
    assert coordinator.get("/cohorten").headers["location"].startswith("/login")
    assert password_login(coordinator, world.coordinator) == "/tweede-factor"
    assert coordinator.get("/tweede-factor").headers["location"] == "/tweede-factor/instellen"
    assert admin_secret  # the beheerder's own factor is untouched
    assert second_factor.factor_of(db, user_id=world.admin.id or 0) is not None


def test_a_pending_login_lasts_only_the_login_window(
    required: Settings, client: Browser, db: Session, world: World
) -> None:
    secret, _ = give_factor(db, world.coordinator, required)
    password_login(client, world.coordinator)
    row = db.exec(select(UserSession)).one()
    assert row.pending_step == "code"
    row.created_at = utcnow() - timedelta(minutes=required.login_window_minutes + 1)
    db.add(row)
    db.commit()
    assert client.get("/tweede-factor").headers["location"] == "/login"
    assert client.post("/tweede-factor", data={"code": code_at(secret)}).headers["location"] == "/login"


def test_erasure_removes_the_second_factor(app: FastAPI, required: Settings, db: Session, world: World) -> None:
    from app.privacy import erasure

    give_factor(db, world.student, required)
    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=world.student.id or 0,
        reason="Verzoek van de student (AVG art. 17), besproken met de FG.",
        confirmation=world.student.email,
        storage=app.state.storage,
        settings=required,
    )
    db.commit()
    for model in (SecondFactor, RecoveryCode):
        assert db.exec(select(func.count()).select_from(model)).one() == 0
