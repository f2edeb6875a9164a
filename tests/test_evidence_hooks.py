"""Evidence's hooks (app/evidence/hooks.py): what the domains above evidence answer, wired at start-up."""

import pytest

from app.events import Hook, HookNotWired
from app.evidence import hooks
from app.evidence.hooks import Query


def test_a_query_returns_every_answer_in_order() -> None:
    query: Query[[int], int] = Query("probe")
    query.connect(lambda x: x + 1)
    query.connect(lambda x: x * 10)
    assert query.ask(2) == [3, 20]


def test_a_required_query_without_listener_refuses_instead_of_answering_nothing() -> None:
    with pytest.raises(HookNotWired):
        Query("needed", required=True).ask()


def test_the_app_wires_every_evidence_hook() -> None:
    import app.main  # noqa: F401  (importing the app wires it)

    declared = [value for value in vars(hooks).values() if isinstance(value, Hook)]
    assert declared, "no hooks found"
    assert [h.name for h in declared if not h._listeners] == []
    assert all(h.required for h in declared)
