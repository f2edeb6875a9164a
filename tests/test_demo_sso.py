"""The school sign-in demo (app/demo/sso.py, `make run-sso`): seeding twice changes nothing, and the demo
provider's accounts link to the people the demo says they belong to (by the one rule, app/accounts/sso_link.py)."""

import json
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select

from app import demo
from app.accounts import sso, sso_link
from app.accounts.identity import digest
from app.accounts.models import PasswordResetToken, Role, User, UserRole
from app.accounts.sso_models import SignInIdentity
from app.audit.models import AuditEvent
from app.cohorts import sso_institutions
from app.cohorts.models import ProgrammeCoordinator
from app.cohorts.sso_institutions import ProgrammeInstitution
from app.config import Settings
from app.demo import sso as demo_sso
from app.demo.sso_run import environment
from app.notifications.models import OutboxMessage

ISSUERS = {"school": "http://127.0.0.1:8090", "eduid": "http://127.0.0.1:8091"}


def _counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__name__: db.exec(select(func.count()).select_from(model)).one()
        for model in (
            User,
            UserRole,
            ProgrammeCoordinator,
            ProgrammeInstitution,
            PasswordResetToken,
            OutboxMessage,
            AuditEvent,
        )
    }


@pytest.fixture
def seeded(app: FastAPI, db: Session, settings: Settings) -> demo_sso.SsoDemo:
    assert demo.seed_if_empty(db) is True
    links = demo_sso.seed_sso(db, settings=settings)
    db.commit()
    return links


def _claims(name: str, sub: str) -> sso.Claims:
    raw: dict[str, Any] = (demo_sso.SCHOOL_ACCOUNTS if name == "school" else demo_sso.GUEST_ACCOUNTS)[sub]
    code = raw.get("schac_personal_unique_code")
    return sso.Claims(
        issuer=ISSUERS[name],
        sub=sub,
        institution=raw.get("schac_home_organization"),
        affiliation=" ".join(raw.get("eduperson_affiliation", [])) or None,
        principal_name=raw.get("eduperson_principal_name"),
        student_number=code.rsplit(":", 1)[-1] if code else None,
        name=raw.get("name"),
        email=raw.get("email"),
    )


def _sign_in(db: Session, name: str, sub: str, *, link: str | None = None) -> User:
    token_id = None
    if link is not None:
        token = db.exec(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(link.rsplit("/", 1)[-1]))
        ).one()
        token_id = token.id
    return sso_link.sign_in(
        db,
        claims=_claims(name, sub),
        activation_token_id=token_id,
        allowed=lambda u, i: sso_institutions.institution_allowed(db, user_id=u, institution=i),
        listed=lambda u, i: sso_institutions.institution_listed(db, user_id=u, institution=i),
    )


def test_seeding_twice_adds_nothing_and_keeps_the_links(db: Session, settings: Settings, seeded: Any) -> None:
    before = _counts(db)
    again = demo_sso.seed_sso(db, settings=settings)
    db.commit()
    assert _counts(db) == before
    assert again == seeded
    # One welcome mail each, with a link to the server the settings name.
    for email, link in (
        (demo_sso.NEW_COORDINATOR[1], seeded.coordinator_link),
        (demo_sso.GUEST_SUPERVISOR[1], seeded.supervisor_link),
    ):
        mails = db.exec(select(OutboxMessage).where(OutboxMessage.to_address == email)).all()
        assert len(mails) == 1 and link and link in mails[0].body
        assert link.startswith(f"{settings.base_url}/activeren/")


def test_the_demo_lists_its_institutions_and_the_new_people(db: Session, seeded: Any) -> None:
    coordinator = db.exec(select(User).where(User.email == demo_sso.NEW_COORDINATOR[1])).one()
    supervisor = db.exec(select(User).where(User.email == demo_sso.GUEST_SUPERVISOR[1])).one()
    programme_id = db.exec(select(ProgrammeCoordinator.programme_id)).first()
    assert programme_id is not None
    assert sso_institutions.institutions_of(db, programme_id=programme_id) == sorted(demo_sso.INSTITUTIONS)
    assert db.exec(select(ProgrammeCoordinator).where(ProgrammeCoordinator.user_id == coordinator.id)).one()
    roles = {r.role for r in db.exec(select(UserRole).where(UserRole.user_id == supervisor.id)).all()}
    assert roles == {Role.praktijkbegeleider.value}
    assert supervisor.organisation == demo_sso.GUEST_SUPERVISOR[2]
    assert coordinator.activated_at is None and supervisor.activated_at is None


def test_the_provider_accounts_link_to_whom_the_demo_says(
    db: Session, settings: Settings, seeded: demo_sso.SsoDemo
) -> None:
    lotte = _sign_in(db, "school", "hmn-lotte")
    assert (lotte.name, lotte.student_number) == (demo_sso.LOTTE[0], demo_sso.LOTTE[2])
    daan = _sign_in(db, "school", "hmn-daan")
    assert (daan.name, daan.principal_name) == (demo_sso.DAAN[0], demo_sso.DAAN_PRINCIPAL)
    with pytest.raises(sso.SsoRefused) as refused:
        _sign_in(db, "school", "hmn-tim")
    assert refused.value.message == sso_link.NOT_LINKED
    # Without the activation link, the coordinator's and the guest's accounts are unknown.
    for name, sub in (("school", "hmn-karin"), ("eduid", "eduid-yvonne")):
        with pytest.raises(sso.SsoRefused):
            _sign_in(db, name, sub)
    assert seeded.coordinator_link and seeded.supervisor_link
    assert _sign_in(db, "school", "hmn-karin", link=seeded.coordinator_link).email == demo_sso.NEW_COORDINATOR[1]
    assert _sign_in(db, "eduid", "eduid-yvonne", link=seeded.supervisor_link).email == demo_sso.GUEST_SUPERVISOR[1]
    db.commit()
    assert db.exec(select(func.count()).select_from(SignInIdentity)).one() == 4
    # Later, plain SSO finds them again.
    assert _sign_in(db, "school", "hmn-karin").email == demo_sso.NEW_COORDINATOR[1]
    # The coordinator's link is spent.
    token = db.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == digest(seeded.coordinator_link.rsplit("/", 1)[-1])
        )
    ).one()
    assert token.used_at is not None
    assert demo_sso.seed_sso(db, settings=settings) == demo_sso.SsoDemo(coordinator_link=None, supervisor_link=None)


def test_run_sso_configures_both_demo_providers(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env = environment(ISSUERS, base_url="http://127.0.0.1:8000", database=tmp_path / "sso.db")
    settings = Settings(database_url=env["DATABASE_URL"], secret_key="x", oidc_providers=env["OIDC_PROVIDERS"])
    configured = sso.providers(settings)
    assert {p.name: p.issuer for p in configured.values()} == ISSUERS
    assert [p.display_name for p in configured.values()] == ["SURFconext", "eduID"]
    # The provider's registration matches what the app sends: client, secret and the callback.
    for name, setting in zip(ISSUERS, json.loads(env["OIDC_PROVIDERS"]), strict=True):
        config = demo_sso.provider_config(name, base_url="http://127.0.0.1:8000", port=8090)
        assert (config["client_id"], config["client_secret"]) == (setting["client_id"], setting["client_secret"])
        assert config["redirect_uris"] == [f"http://127.0.0.1:8000/login/sso/{name}/callback"]
