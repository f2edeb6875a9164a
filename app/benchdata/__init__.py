"""Synthetic data for benchmarks (`portfolio bench-data`, bench/overview.py): many students at realistic stages.

One programme with one coordinator, praktijkbegeleiders (1 per 10 students) and beoordelaars (1 per 40),
cohorts pinned to one framework version, and per student per eindterm a slot at a realistic stage with the
records the services would have written for it: bewijsstukken (versions, koppelingen with an onderbouwing;
an item usually covers several eindtermen), a submission from `ter_aftekening` on (its `version_ids` are the
versions that were current then), a sign-off from `terug` on, and an assessment for `beoordeeld`.

Rows are written with bulk INSERTs in batches, parents first, with ids assigned here (the database must not be
written to by anyone else meanwhile). Audit events are written for every user, cohort and import, and the full
trail (evidence, submissions, decisions, scores) for a sample of the students; they are chained with the same
`canonical_hash` as `app.audit.service`, so `portfolio audit verify` keeps passing.

Deterministic: each student's data comes from its own `random.Random` derived from the seed and the student's
position, so the same seed gives the same stages, evidence and scores (timestamps count back from `now`).
"""

from app.benchdata.programme import DatabaseNotEmpty, generate
from app.benchdata.stages import (
    AUDIT_EVERY,
    COORDINATOR_EMAIL,
    DOMAIN,
    FRAMEWORK_KEY,
    PASSWORD,
    PROGRAMME_NAME,
    STAGES,
    slot_statuses,
)

__all__ = [
    "AUDIT_EVERY",
    "COORDINATOR_EMAIL",
    "DOMAIN",
    "FRAMEWORK_KEY",
    "PASSWORD",
    "PROGRAMME_NAME",
    "STAGES",
    "DatabaseNotEmpty",
    "generate",
    "slot_statuses",
]
