"""assessment_rubric: assessment.rubric, the rubric's criteria as the beoordelaar ticked them

Nullable: scores made before rubrics had none, and `assessment` is a bound table whose row hash leaves NULL
columns out, so existing bindings stay valid.

Revision ID: h20r00000001
Revises: h18p00000001
Create Date: 2026-12-08 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h20r00000001"
down_revision: str | None = "h18p00000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rubric", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("rubric")
