"""Hooks (app/events.py): how a lower domain sets off a higher one without importing it."""

import pytest

from app import events
from app.errors import Conflict
from app.events import Hook, HookNotWired


def test_listeners_run_in_order_and_connect_once() -> None:
    calls: list[str] = []
    hook: Hook[[str]] = Hook("probe")

    def first(x: str) -> None:
        calls.append(f"1{x}")

    hook.connect(first)
    hook.connect(first)
    hook.connect(lambda x: calls.append(f"2{x}"))
    hook("a")
    assert calls == ["1a", "2a"]


def test_a_required_hook_without_listener_refuses_instead_of_skipping() -> None:
    with pytest.raises(HookNotWired):
        Hook("guard", required=True)()


def test_a_listener_that_refuses_stops_the_caller() -> None:
    hook: Hook[[]] = Hook("guard")

    def refuse() -> None:
        raise Conflict("nee")

    hook.connect(refuse)
    with pytest.raises(Conflict):
        hook()


def test_the_app_wires_the_seal_into_every_portfolio_change() -> None:
    import app.main  # noqa: F401  (importing the app wires it)
    from app.readiness import seal

    assert seal.ensure_not_sealed in events.before_portfolio_change._listeners


def test_a_query_returns_each_listeners_answer_in_order() -> None:
    from app.events import Query

    query: Query[[int], int] = Query("probe")
    query.connect(lambda x: x + 1)
    query.connect(lambda x: x * 10)
    assert query.ask(2) == [3, 20]
    with pytest.raises(HookNotWired):
        Query("guard", required=True).ask()
