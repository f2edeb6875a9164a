"""Issue #15, Low 8: a reset link is consumed once (also under concurrency), a completed reset ends every other
link and every session of the account, and unknown addresses go through the same steps as known ones."""

import re
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts import service
from app.accounts.models import PasswordResetToken, UserSession
from app.errors import NotFound
from app.notifications.models import OutboxMessage
from tests.conftest import PASSWORD, Browser, World, login


def _request_token(app: FastAPI, email: str) -> str:
    with Session(app.state.engine) as session:
        service.request_password_reset(session, email=email, settings=app.state.settings)
        session.commit()
        body = session.exec(
            select(OutboxMessage.body).where(OutboxMessage.to_address == email).order_by(col(OutboxMessage.id).desc())
        ).first()
    assert body
    match = re.search(r"/wachtwoord-herstellen/(\S+)", body)
    assert match
    return match.group(1)


def test_completing_a_reset_ends_every_other_link_and_every_session(
    app: FastAPI, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    signed_in = client_factory()
    login(signed_in, world.student.email)
    older = _request_token(app, world.student.email)
    newer = _request_token(app, world.student.email)
    other_account = _request_token(app, world.other_student.email)
    done = client.post(
        f"/wachtwoord-herstellen/{newer}",
        data={"password": "een-nieuw-wachtwoord", "password_again": "een-nieuw-wachtwoord"},
    )
    assert done.status_code == 200
    stale = client.get(f"/wachtwoord-herstellen/{older}")
    assert stale.status_code == 404 and "ongeldig, verlopen of al gebruikt" in stale.text
    again = client.post(
        f"/wachtwoord-herstellen/{older}",
        data={"password": "nog-een-wachtwoord", "password_again": "nog-een-wachtwoord"},
    )
    assert again.status_code == 404
    # Another account's link is untouched; the student's open session has ended.
    assert client.get(f"/wachtwoord-herstellen/{other_account}").status_code == 200
    assert signed_in.get("/portfolio").status_code == 303
    with Session(app.state.engine) as session:
        assert session.exec(select(UserSession).where(UserSession.user_id == world.student.id)).all() == []
    login(client_factory(), world.student.email, "een-nieuw-wachtwoord")


def test_a_weak_password_does_not_use_up_the_link(app: FastAPI, world: World, client: Browser) -> None:
    token = _request_token(app, world.student.email)
    short = client.post(f"/wachtwoord-herstellen/{token}", data={"password": "kort", "password_again": "kort"})
    assert short.status_code == 422
    assert client.get(f"/wachtwoord-herstellen/{token}").status_code == 200


def test_eight_concurrent_uses_of_one_link_give_exactly_one_success(
    app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _request_token(app, world.student.email)
    real_hash = service.hash_password

    def slow_hash(password: str) -> str:
        # Widens the window between checking and using the token, so that every thread is inside it.
        time.sleep(0.05)
        return real_hash(password)

    monkeypatch.setattr(service, "hash_password", slow_hash)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def use(n: int) -> None:
        barrier.wait()
        with Session(app.state.engine) as session:
            try:
                service.reset_password(session, token=token, password=f"wachtwoord-nummer-{n}")
                session.commit()
                outcome = "ok"
            except NotFound:
                session.rollback()
                outcome = "refused"
            except Exception as exc:  # a lock error would be a 500 in the app
                session.rollback()
                outcome = f"error: {exc!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7, outcomes
    with Session(app.state.engine) as session:
        rows = session.exec(select(PasswordResetToken).where(PasswordResetToken.user_id == world.student.id)).all()
    assert [r.used_at is not None for r in rows] == [True]


def _count_reset_steps(app: FastAPI, monkeypatch: pytest.MonkeyPatch, email: str) -> dict[str, int]:
    counts = {"token": 0, "digest": 0, "statements": 0}
    real_digest = service._digest
    real_token = service.secrets.token_urlsafe

    def digest(value: str) -> str:
        counts["digest"] += 1
        return real_digest(value)

    def token(n: int) -> str:
        counts["token"] += 1
        return real_token(n)

    monkeypatch.setattr(service, "_digest", digest)
    monkeypatch.setattr(service, "secrets", SimpleNamespace(token_urlsafe=token))
    with Session(app.state.engine) as session:
        real_exec = session.exec

        def counting_exec(*args: object, **kwargs: object) -> object:
            counts["statements"] += 1
            return real_exec(*args, **kwargs)  # type: ignore[call-overload]

        session.exec = counting_exec  # type: ignore[method-assign]
        service.request_password_reset(session, email=email, settings=app.state.settings)
        session.rollback()
    monkeypatch.undo()
    return counts


def test_a_reset_request_does_the_same_work_for_unknown_addresses(
    app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = _count_reset_steps(app, monkeypatch, world.student.email)
    unknown = _count_reset_steps(app, monkeypatch, "niemand@nergens.nl")
    assert known["token"] == unknown["token"] == 1
    assert known["digest"] == unknown["digest"] >= 1
    # The same reads: the account lookup and the token lookup (only the rows written differ).
    assert unknown["statements"] == 2 and known["statements"] >= 2


def test_the_old_password_stops_working(
    app: FastAPI, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    token = _request_token(app, world.student.email)
    client.post(
        f"/wachtwoord-herstellen/{token}",
        data={"password": "een-nieuw-wachtwoord", "password_again": "een-nieuw-wachtwoord"},
    )
    fresh = client_factory()
    assert fresh.post("/login", data={"email": world.student.email, "password": PASSWORD}).status_code == 400
