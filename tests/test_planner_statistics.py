"""The query planner's statistics: refreshed by the worker at its start and then once a day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event
from sqlmodel import Session

from app.db import DailyStatistics, utcnow


def test_the_worker_job_analyses_at_start_and_then_once_a_day(app: FastAPI, db: Session) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper() == "ANALYZE":
            statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", seen)
    try:
        job = DailyStatistics()
        start = utcnow()
        job(db, start)
        assert len(statements) == 1
        job(db, start + timedelta(hours=23))
        assert len(statements) == 1  # not again within the day
        job(db, start + timedelta(days=1))
        assert len(statements) == 2
    finally:
        event.remove(app.state.engine, "before_cursor_execute", seen)
