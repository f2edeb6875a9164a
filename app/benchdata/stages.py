"""The shape of the synthetic data: its accounts and sizes, the share of slots at each stage, and the seeded
random draws (each student has a stream of their own, so a seed replays the same portfolios)."""

import bisect
import itertools
import math
import random
from datetime import datetime, timedelta
from statistics import NormalDist

from app.evidence.models import SlotStatus
from app.framework.schema import Framework
from app.signoff.models import Decision

COORDINATOR_EMAIL = "bench-coordinator@bench.example"
PASSWORD = "bench-password-2026"  # noqa: S105 - synthetic accounts on a benchmark database
DOMAIN = "bench.example"
FRAMEWORK_KEY = "bvjn-eindtermen@2012"
PROGRAMME_NAME = "Post-hbo Jobcoach (benchmark)"
BATCH = 5_000
STUDENTS_PER_SUPERVISOR = 10
STUDENTS_PER_ASSESSOR = 40
# Every AUDIT_EVERY-th student gets the full audit trail of their evidence, submissions, decisions and scores.
AUDIT_EVERY = 10

S = SlotStatus
# The share of slots at each stage over all students (in pace order; niet_mogelijk last, see draw_statuses).
STAGES: tuple[tuple[str, float], ...] = (
    (S.leeg.value, 0.20),
    (S.concept.value, 0.20),
    (S.ter_aftekening.value, 0.15),
    (S.terug.value, 0.05),
    (S.afgetekend.value, 0.15),
    (S.beoordeeld.value, 0.22),
    (S.niet_mogelijk.value, 0.03),
)
NOT_POSSIBLE_SHARE = dict(STAGES)[S.niet_mogelijk.value]
# The other stages in the order a slot goes through them, with their cumulative shares (the last bound is 1).
PACE_STAGES = [stage for stage, _ in STAGES if stage != S.niet_mogelijk.value]
PACE_BOUNDS = list(
    itertools.accumulate(share / (1 - NOT_POSSIBLE_SHARE) for stage, share in STAGES if stage in PACE_STAGES[:-1])
)
PACE_CORRELATION = 0.6  # how much a student's slots move together
_NORMAL = NormalDist()
SUBMITTED = {S.ter_aftekening.value, S.terug.value, S.afgetekend.value, S.beoordeeld.value, S.niet_mogelijk.value}
DECISION_OF = {
    S.terug.value: Decision.terug.value,
    S.afgetekend.value: Decision.afgetekend.value,
    S.beoordeeld.value: Decision.afgetekend.value,
    S.niet_mogelijk.value: Decision.niet_mogelijk.value,
}
# Koppelingen (bewijsstukken) per non-empty slot: mean 3.75, so 3.0 per slot over all slots with 20% leeg;
# eindtermen per bewijsstuk: mean 3.1.
LINKS_PER_SLOT = ((1, 2, 3, 4, 5, 6), (0.06, 0.13, 0.25, 0.25, 0.18, 0.13))
CODES_PER_ITEM = ((1, 2, 3, 4, 5, 6), (0.15, 0.20, 0.25, 0.20, 0.12, 0.08))
REVISED_SHARE = 0.15  # bewijsstukken with a second version


def slot_statuses(seed: int, index: int, count: int) -> list[str]:
    """The stages of student `index`'s `count` slots: the first draws of that student's own random stream."""
    return draw_statuses(student_rng(seed, index), count)


def student_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"benchdata:{seed}:{index}")


def draw_statuses(rng: random.Random, count: int) -> list[str]:
    """Stages with exactly the STAGES shares on average, yet correlated within a student (a Gaussian copula):
    a student who is ahead has more slots at the later stages. 'Niet mogelijk' comes from the workplace, not
    from the student's pace, so it is drawn apart."""
    lean = rng.gauss(0.0, 1.0)
    slack = math.sqrt(1 - PACE_CORRELATION**2)
    statuses = []
    for _ in range(count):
        if rng.random() < NOT_POSSIBLE_SHARE:
            statuses.append(S.niet_mogelijk.value)
            continue
        u = _NORMAL.cdf(PACE_CORRELATION * lean + slack * rng.gauss(0.0, 1.0))
        statuses.append(PACE_STAGES[bisect.bisect_right(PACE_BOUNDS, u)])
    return statuses


def weights_of_scores(framework: Framework) -> list[float]:
    """10% on the failing levels, the rest on the passing ones, the lowest passing level most often."""
    failing = [level for level in framework.scale if not level.passing]
    passing = [level for level in framework.scale if level.passing]
    weights = []
    for level in framework.scale:
        if level.passing:
            rank = passing.index(level)
            share = 0.9 if failing else 1.0
            weights.append(share * 2 ** (len(passing) - 1 - rank) / (2 ** len(passing) - 1))
        else:
            weights.append(0.1 / len(failing))
    return weights


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end], whole seconds."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))
