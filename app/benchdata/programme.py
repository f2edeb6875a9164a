"""`generate`: the programme, its staff and cohorts, and every student in them (`portfolio bench-data`)."""

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from app.accounts.models import Role, User, UserRole
from app.accounts.service import hash_password
from app.benchdata.stages import (
    AUDIT_EVERY,
    COORDINATOR_EMAIL,
    DOMAIN,
    FRAMEWORK_KEY,
    PASSWORD,
    PROGRAMME_NAME,
    STUDENTS_PER_ASSESSOR,
    STUDENTS_PER_SUPERVISOR,
    student_rng,
    weights_of_scores,
)
from app.benchdata.student import Staff, add_student
from app.benchdata.texts import FIRST_NAMES, FUNCTIONS, LAST_NAMES, PLACES, WORKPLACES
from app.benchdata.writer import AuditLog, Writer, move_sequences, table_of
from app.cohorts.models import Cohort, Programme, ProgrammeCoordinator
from app.db import utcnow
from app.evidence.models import EvidenceKind
from app.framework.registry import FrameworkRegistry


class DatabaseNotEmpty(Exception):
    """The database already has users: benchmark data goes into an empty database unless forced."""


def _cohort_sizes(students: int, cohorts: int) -> list[int]:
    if cohorts < 1 or students < 0:
        raise ValueError("at least one cohort, and no negative number of students")
    return [students // cohorts + (1 if k < students % cohorts else 0) for k in range(cohorts)]


def _unique_programme_name(session: Session) -> str:
    table = table_of(Programme)
    taken = set(session.execute(select(table.c.name)).scalars())
    name, number = PROGRAMME_NAME, 1
    while name in taken:
        number += 1
        name = f"{PROGRAMME_NAME} {number}"
    return name


def generate(
    session: Session,
    *,
    students: int = 2000,
    cohorts: int = 20,
    seed: int = 1,
    registry: FrameworkRegistry,
    force: bool = False,
    cohort_sizes: Sequence[int] | None = None,
    framework_key: str = FRAMEWORK_KEY,
    now: datetime | None = None,
    audit_every: int = AUDIT_EVERY,
) -> dict[str, int]:
    """Write the synthetic programme; returns the rows written per table. Flushes only: the caller commits.

    `cohort_sizes` (students per cohort) overrides the even split of `students` over `cohorts`."""
    user_table = table_of(User)
    if not force and session.execute(select(func.count()).select_from(user_table)).scalar_one() > 0:
        raise DatabaseNotEmpty(
            "De database bevat al gebruikers; gebruik --force om er toch benchmarkdata bij te zetten."
        )
    sizes = list(cohort_sizes) if cohort_sizes is not None else _cohort_sizes(students, cohorts)
    if not sizes or min(sizes) < 0:
        raise ValueError("cohort_sizes: at least one cohort, and no negative sizes")
    framework_id, _, version = framework_key.partition("@")
    framework = registry.get(framework_id, version)
    now = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    total = sum(sizes)
    rng = random.Random(f"benchdata:{seed}:staff")
    writer = Writer(session)
    log = AuditLog()
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose; every bench user shares it
    oldest_start = now - timedelta(days=60 + 21 * (len(sizes) - 1) + 30)

    def user(email: str, name: str, role: Role, created_at: datetime, **extra: Any) -> int:
        user_id = writer.new_id(User)
        writer.add(
            User,
            {
                "id": user_id,
                "email": email.format(id=user_id),
                "name": name,
                "password_hash": password_hash,
                "student_number": extra.get("student_number"),
                "organisation": extra.get("organisation"),
                "function": extra.get("function"),
                "locale": "nl",
                "is_active": True,
                "notify_daily_digest": extra.get("digest", False),
                "last_digest_at": None,
                "created_at": created_at,
            },
        )
        writer.add(UserRole, {"user_id": user_id, "role": role.value})
        log.add(created_at, None, "user.created", "user", user_id, {"roles": [role.value]})
        return user_id

    def person_name(source: random.Random) -> str:
        return f"{source.choice(FIRST_NAMES)} {source.choice(LAST_NAMES)}"

    # --- people and the programme --------------------------------------------------------------------------
    existing = session.execute(select(user_table.c.id).where(user_table.c.email == COORDINATOR_EMAIL)).scalar()
    if existing is None:
        coordinator_id = user(COORDINATOR_EMAIL, "Marieke van Dijk (benchmark)", Role.coordinator, oldest_start)
    else:
        coordinator_id = int(existing)
        role_table = table_of(UserRole)
        has_role = session.execute(
            select(role_table.c.id).where(
                role_table.c.user_id == coordinator_id, role_table.c.role == Role.coordinator.value
            )
        ).scalar()
        if has_role is None:
            writer.add(UserRole, {"user_id": coordinator_id, "role": Role.coordinator.value})
    supervisors: list[Staff] = []
    for _ in range(math.ceil(total / STUDENTS_PER_SUPERVISOR)):
        name, organisation = person_name(rng), f"{rng.choice(WORKPLACES)} {rng.choice(PLACES)}"
        function = rng.choice(FUNCTIONS)
        digest = rng.random() < 0.3
        staff_id = user(
            f"pb{{id}}@{DOMAIN}",
            name,
            Role.praktijkbegeleider,
            oldest_start,
            organisation=organisation,
            function=function,
            digest=digest,
        )
        supervisors.append(Staff(staff_id, name, f"pb{staff_id}@{DOMAIN}", organisation, function))
    assessors: list[Staff] = []
    for _ in range(math.ceil(total / STUDENTS_PER_ASSESSOR)):
        name = person_name(rng)
        staff_id = user(
            f"beoordelaar{{id}}@{DOMAIN}", name, Role.beoordelaar, oldest_start, organisation="Hogeschool Benchmark"
        )
        assessors.append(Staff(staff_id, name, f"beoordelaar{staff_id}@{DOMAIN}", "Hogeschool Benchmark"))
    programme_id = writer.add(
        Programme,
        {"name": _unique_programme_name(session), "institution": "Hogeschool Benchmark", "created_at": oldest_start},
    )
    writer.add(ProgrammeCoordinator, {"programme_id": programme_id, "user_id": coordinator_id})
    writer.flush()

    # --- cohorts, students and their portfolios -------------------------------------------------------------
    score_codes, score_weights = framework.scale_codes, weights_of_scores(framework)
    codes = [e.code for e in framework.eindtermen]
    kinds = [k.value for k in EvidenceKind]
    index = 0
    for number, size in enumerate(sizes):
        start_day = (now - timedelta(days=60 + 21 * number)).date()
        start = datetime(start_day.year, start_day.month, start_day.day, 8, 30, tzinfo=UTC)
        cohort_id = writer.add(
            Cohort,
            {
                "programme_id": programme_id,
                "name": f"Jobcoach {start_day:%Y-%m} groep {number + 1:02d}",
                "start_date": start_day,
                "planned_end_date": start_day + timedelta(days=364),
                "framework_id": framework.id,
                "framework_version": framework.version,
                "created_at": start - timedelta(days=14),
            },
        )
        log.add(
            start - timedelta(days=14),
            coordinator_id,
            "cohort.created",
            "cohort",
            cohort_id,
            {"framework": framework.key},
        )
        for _ in range(size):
            add_student(
                writer,
                log,
                rng=student_rng(seed, index),
                index=index,
                cohort_id=cohort_id,
                start=start,
                now=now,
                framework=framework,
                codes=codes,
                kinds=kinds,
                scores=(score_codes, score_weights),
                supervisor=supervisors[index // STUDENTS_PER_SUPERVISOR],
                assessor=assessors[index // STUDENTS_PER_ASSESSOR],
                user=user,
                trail=audit_every > 0 and index % audit_every == 0,
            )
            index += 1
            if index % 50 == 0:
                writer.flush()
        log.add(
            start - timedelta(days=7),
            coordinator_id,
            "cohort.people_imported",
            "cohort",
            cohort_id,
            {"rows": size, "created": size, "updated": 0, "enrolled": size, "assigned": 2 * size},
        )
    writer.flush()
    counts = {name: count for name, count in writer.counts.items() if count}
    counts["audit_event"] = log.write(session, writer)
    move_sequences(session)
    session.flush()
    return counts
