"""In-process hooks: a lower domain announces, a higher one listens.

Domains import downward only (docs/architecture.md). Where a lower domain must set off something that a higher
one owns (a submission notifies the praktijkbegeleider; a sealed portfolio refuses edits), the lower one
declares a `Hook` and calls it; the higher one connects a listener in `app.wiring`, at start-up. A hook is
called inside the caller's transaction: listeners flush, never commit, and a listener that raises a
`DomainError` refuses the whole change.
"""

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")


class HookNotWired(RuntimeError):
    """A required hook was called before `app.wiring.wire()` connected its listener."""


class Hook(Generic[P]):
    """Listeners called in the order they were connected. `required`: calling it with none is a bug, not a
    no-op (a guard such as the seal must never be skipped because a script forgot to wire)."""

    def __init__(self, name: str, *, required: bool = False) -> None:
        self.name = name
        self.required = required
        self._listeners: list[Callable[P, object]] = []

    def connect(self, listener: Callable[P, object]) -> Callable[P, object]:
        if listener not in self._listeners:  # wiring twice (tests, the CLI) connects once
            self._listeners.append(listener)
        return listener

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        if self.required and not self._listeners:
            raise HookNotWired(f"hook {self.name!r} has no listener: call app.wiring.wire() at start-up")
        for listener in self._listeners:
            listener(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, listeners={len(self._listeners)})"


class Query(Hook[P], Generic[P, R]):
    """A hook that asks: `ask` returns every listener's answer, in the order they were connected. For a read
    that a higher domain answers, where a plain `Hook` (whose listeners' results are dropped) cannot."""

    def ask(self, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        if self.required and not self._listeners:
            raise HookNotWired(f"query {self.name!r} has no listener: call app.wiring.wire() at start-up")
        return [cast(R, listener(*args, **kwargs)) for listener in self._listeners]


# Hooks that several domains call. Each is declared where its lowest caller can import it.

# Before anything in a student's portfolio changes (evidence, a sign-off, a score): readiness refuses once the
# gereedheidsbesluit has sealed the portfolio. Required: a change that skips the seal is a bug.
before_portfolio_change: Hook[...] = Hook("before_portfolio_change", required=True)
