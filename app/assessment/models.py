"""Beoordeling: the school's score, a record of its own next to the workplace's aftekening."""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import Bound, utcnow


class Assessment(SQLModel, Bound, table=True):
    """A score with feedback. A re-score is a new row; the latest counts, the history keeps both."""

    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    eindterm_code: str = Field(max_length=20)
    # The framework version whose scale and rule this score used.
    framework_id: str = Field(max_length=100)
    framework_version: str = Field(max_length=50)
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    score: str = Field(max_length=30)
    feedback: str = Field(sa_column=Column(Text, nullable=False))
    assessor_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))
    # The rubric as the beoordelaar saw it, each criterion with whether it was ticked (JSON, see
    # `rubric_criteria`); a copy, so the score keeps its rubric whatever later rubric files say. NULL: no rubric.
    rubric: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    @property
    def rubric_criteria(self) -> list[dict[str, Any]]:
        """[{"level", "key", "text", "met"}] in rubric order; empty for a score without a rubric."""
        if not self.rubric:
            return []
        return list(json.loads(self.rubric)["criteria"])


class SubstituteApproval(SQLModel, Bound, table=True):
    """The coordinator's approval of a substitute assignment for 'niet mogelijk op deze werkplek'."""

    __tablename__ = "substitute_approval"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    eindterm_code: str = Field(max_length=20)
    description: str = Field(sa_column=Column(Text, nullable=False))
    approved_by_id: int = Field(foreign_key="user_account.id")
    approved_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
