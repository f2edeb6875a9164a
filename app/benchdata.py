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

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlmodel import Session, SQLModel

from app.accounts.models import Role, User, UserRole
from app.accounts.service import hash_password
from app.assessment.models import Assessment
from app.audit import binding
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator, SupervisorAssignment
from app.db import Bound, utcnow
from app.evidence.models import Evidence, EvidenceKind, EvidenceLink, EvidenceVersion, Slot, SlotStatus, Submission
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.signoff.models import Decision, SignOff

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
# The share of slots at each stage over all students (in pace order; niet_mogelijk last, see _statuses).
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

FIRST_NAMES = [
    "Lotte",
    "Daan",
    "Sanne",
    "Bram",
    "Noor",
    "Thomas",
    "Emma",
    "Youssef",
    "Femke",
    "Joris",
    "Iris",
    "Mohamed",
    "Julia",
    "Sven",
    "Fleur",
    "Ruben",
    "Anouk",
    "Jesse",
    "Sara",
    "Milan",
    "Lisa",
    "Luuk",
    "Eva",
    "Niels",
    "Zoë",
    "Stijn",
    "Amira",
    "Tim",
    "Roos",
    "Bas",
    "Yara",
    "Koen",
    "Mila",
    "Jasper",
    "Fatma",
    "Wouter",
    "Esra",
    "Lars",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bos",
    "Meijer",
    "Yilmaz",
    "van Leeuwen",
    "de Boer",
    "Haddou",
    "Dekker",
    "Brouwer",
    "Koster",
    "Aydin",
    "Vermeulen",
    "Hoekstra",
    "Visser",
    "Smit",
    "Mulder",
    "de Groot",
    "Bakker",
    "van Dijk",
    "Peters",
    "Kok",
    "Jacobs",
    "van den Berg",
    "Willems",
    "El Amrani",
    "Postma",
    "Kuipers",
]
WORKPLACES = [
    "Werkbedrijf",
    "Bakkerij De Korenschoof",
    "Zorggroep Het Baken",
    "Hotel De Wadden",
    "Tuincentrum Groenrijk",
    "Kringloop Twee",
    "Supermarkt Plus",
    "Gemeentewerven",
    "Lunchroom Buiten",
    "Fietsenmakerij Trap",
    "Drukkerij Noord",
    "Distributiecentrum Oost",
]
PLACES = [
    "Lelystad",
    "Almere",
    "Zwolle",
    "Utrecht",
    "Amersfoort",
    "Deventer",
    "Arnhem",
    "Leeuwarden",
    "Assen",
    "Haarlem",
]
FUNCTIONS = ("Teamleider productie", "Bedrijfsleider", "Coördinator jobcoaching", "Manager facilitair", "Chef")
TITLES = {
    EvidenceKind.verslag.value: "Verslag van het intakegesprek met cliënt {c}",
    EvidenceKind.observatie.value: "Observatie op de werkvloer bij cliënt {c}",
    EvidenceKind.reflectie.value: "Reflectie op een lastig gesprek met cliënt {c}",
    EvidenceKind.video.value: "Video van een oefengesprek (cliënt {c})",
    EvidenceKind.audio.value: "Opname van een overleg met de werkgever van cliënt {c}",
    EvidenceKind.document.value: "Inwerkplan voor cliënt {c}",
    EvidenceKind.foto.value: "Foto's van de aangepaste werkplek van cliënt {c}",
    EvidenceKind.link.value: "Vacatureanalyse voor cliënt {c}",
}
REFLECTION = "Situatie, taak, actie, resultaat en reflectie (STARR); namen en details van de cliënt zijn weggelaten."
JUSTIFICATION = "In dit bewijsstuk laat ik zien hoe ik {code} in de praktijk heb uitgevoerd."
COMMENTS = {
    Decision.afgetekend.value: "Goed gedaan op de werkvloer.",
    Decision.terug.value: "Beschrijf ook hoe de cliënt zelf de regie nam.",
    Decision.niet_mogelijk.value: "Op deze werkplek komt deze situatie niet voor.",
}
FEEDBACK = "Sterk onderbouwd met de praktijk; let bij de volgende eindterm op de koppeling met de theorie."

# Parents first: the order in which buffered rows are inserted.
TABLES: tuple[type[SQLModel], ...] = (
    User,
    UserRole,
    Programme,
    ProgrammeCoordinator,
    Cohort,
    Enrolment,
    SupervisorAssignment,
    Evidence,
    EvidenceVersion,
    EvidenceLink,
    Submission,
    Slot,
    SignOff,
    Assessment,
)
WRITTEN: tuple[type[SQLModel], ...] = (*TABLES, AuditEvent)


class DatabaseNotEmpty(Exception):
    """The database already has users: benchmark data goes into an empty database unless forced."""


def _table(model: type[SQLModel]) -> Any:
    return model.__table__  # type: ignore[attr-defined]


def slot_statuses(seed: int, index: int, count: int) -> list[str]:
    """The stages of student `index`'s `count` slots: the first draws of that student's own random stream."""
    return _statuses(_student_rng(seed, index), count)


def _student_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"benchdata:{seed}:{index}")


def _statuses(rng: random.Random, count: int) -> list[str]:
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


def _score_weights(framework: Framework) -> list[float]:
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


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end], whole seconds."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


@dataclass
class _Writer:
    """Buffers rows per table and inserts them in batches of BATCH, parents first; counts what it wrote."""

    session: Session
    rows: dict[type[SQLModel], list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    next_ids: dict[type[SQLModel], int] = field(default_factory=dict)
    # [table, id, hash] of every decision row written: bound into the audit chain at the end, as `audit.record`
    # binds the rows the application makes (`app.audit.binding`).
    bound: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for model in WRITTEN:
            table = _table(model)
            highest = self.session.execute(select(func.max(table.c.id))).scalar()
            self.next_ids[model] = (highest or 0) + 1
            self.rows[model] = []

    def new_id(self, model: type[SQLModel]) -> int:
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def add(self, model: type[SQLModel], row: dict[str, Any]) -> int:
        if "id" not in row:
            row["id"] = self.new_id(model)
        self.rows[model].append(row)
        return int(row["id"])

    def flush(self) -> None:
        for model in TABLES:
            self._insert(model)

    def _insert(self, model: type[SQLModel]) -> None:
        rows = self.rows[model]
        table = _table(model)
        if issubclass(model, Bound):
            self.bound.extend([table.name, row["id"], binding.row_hash(table, row)] for row in rows)
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(table), rows[start : start + BATCH])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        rows.clear()


@dataclass
class _Staff:
    id: int
    name: str
    email: str
    organisation: str | None = None
    function: str | None = None


@dataclass
class _AuditLog:
    """Events collected while generating; chained and inserted at the end, oldest first."""

    events: list[tuple[datetime, int | None, str, str, str | None, dict[str, Any]]] = field(default_factory=list)

    def add(
        self, at: datetime, actor_id: int | None, action: str, object_type: str, object_id: Any, data: dict[str, Any]
    ) -> None:
        self.events.append((at, actor_id, action, object_type, None if object_id is None else str(object_id), data))

    def write(self, session: Session, writer: _Writer) -> int:
        """Append to the chain exactly as `audit.record` would, one event after another, and move the head."""
        self.events.sort(key=lambda event: event[0])
        bound_at = utcnow()
        for start in range(0, len(writer.bound), binding.CHUNK):
            chunk = writer.bound[start : start + binding.CHUNK]
            self.events.append((bound_at, None, "bench.rows_bound", "bench", None, {binding.KEY: chunk}))
        writer.bound = []
        if not self.events:
            return 0
        head = audit._lock_head(session)
        last_event_id, last_hash = head.last_event_id, head.last_hash
        next_id = max(writer.next_ids[AuditEvent] - 1, last_event_id or 0) + 1
        table = _table(AuditEvent)
        batch: list[dict[str, Any]] = []
        for at, actor_id, action, object_type, object_id, data in self.events:
            event_hash = audit.canonical_hash(
                prev_hash=last_hash,
                event_id=next_id,
                at=at,
                actor_id=actor_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                data=data,
            )
            batch.append(
                {
                    "id": next_id,
                    "at": at,
                    "actor_id": actor_id,
                    "action": action,
                    "object_type": object_type,
                    "object_id": object_id,
                    "data": data,
                    "prev_hash": last_hash,
                    "hash": event_hash,
                }
            )
            last_event_id, last_hash = next_id, event_hash
            next_id += 1
            if len(batch) >= BATCH:
                session.execute(insert(table), batch)
                batch = []
        if batch:
            session.execute(insert(table), batch)
        assert last_event_id is not None
        audit.move_head(
            session, last_event_id=last_event_id, last_hash=last_hash, row_count=head.row_count + len(self.events)
        )
        writer.next_ids[AuditEvent] = next_id
        return len(self.events)


def _cohort_sizes(students: int, cohorts: int) -> list[int]:
    if cohorts < 1 or students < 0:
        raise ValueError("at least one cohort, and no negative number of students")
    return [students // cohorts + (1 if k < students % cohorts else 0) for k in range(cohorts)]


def _unique_programme_name(session: Session) -> str:
    table = _table(Programme)
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
    user_table = _table(User)
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
    writer = _Writer(session)
    log = _AuditLog()
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
        role_table = _table(UserRole)
        has_role = session.execute(
            select(role_table.c.id).where(
                role_table.c.user_id == coordinator_id, role_table.c.role == Role.coordinator.value
            )
        ).scalar()
        if has_role is None:
            writer.add(UserRole, {"user_id": coordinator_id, "role": Role.coordinator.value})
    supervisors: list[_Staff] = []
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
        supervisors.append(_Staff(staff_id, name, f"pb{staff_id}@{DOMAIN}", organisation, function))
    assessors: list[_Staff] = []
    for _ in range(math.ceil(total / STUDENTS_PER_ASSESSOR)):
        name = person_name(rng)
        staff_id = user(
            f"beoordelaar{{id}}@{DOMAIN}", name, Role.beoordelaar, oldest_start, organisation="Hogeschool Benchmark"
        )
        assessors.append(_Staff(staff_id, name, f"beoordelaar{staff_id}@{DOMAIN}", "Hogeschool Benchmark"))
    programme_id = writer.add(
        Programme,
        {"name": _unique_programme_name(session), "institution": "Hogeschool Benchmark", "created_at": oldest_start},
    )
    writer.add(ProgrammeCoordinator, {"programme_id": programme_id, "user_id": coordinator_id})
    writer.flush()

    # --- cohorts, students and their portfolios -------------------------------------------------------------
    score_codes, score_weights = framework.scale_codes, _score_weights(framework)
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
            _student(
                writer,
                log,
                rng=_student_rng(seed, index),
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
    _move_sequences(session)
    session.flush()
    return counts


def _student(
    writer: _Writer,
    log: _AuditLog,
    *,
    rng: random.Random,
    index: int,
    cohort_id: int,
    start: datetime,
    now: datetime,
    framework: Framework,
    codes: list[str],
    kinds: list[str],
    scores: tuple[list[str], list[float]],
    supervisor: _Staff,
    assessor: _Staff,
    user: Any,
    trail: bool,
) -> None:
    """One student: the account, the enrolment, and every slot with the records behind it."""
    statuses = _statuses(rng, len(codes))  # first: slot_statuses() replays exactly these draws
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    joined = start - timedelta(days=7)
    student_id = user(
        f"student{{id}}@{DOMAIN}", name, Role.student, joined, student_number=str(700_000 + writer.next_ids[User])
    )
    enrolment_id = writer.add(
        Enrolment,
        {
            "cohort_id": cohort_id,
            "student_id": student_id,
            "workplace": supervisor.organisation,
            "supervisor_id": supervisor.id,
            "assessor_id": assessor.id,
            "created_at": joined,
        },
    )
    # The coordinator approved this praktijkbegeleider: sign-offs are made under this assignment.
    assignment_id = writer.add(
        SupervisorAssignment,
        {
            "enrolment_id": enrolment_id,
            "student_id": student_id,
            "status": "goedgekeurd",
            "supervisor_id": supervisor.id,
            "name": supervisor.name,
            "email": supervisor.email,
            "function": supervisor.function,
            "workplace": supervisor.organisation,
            "proposed_by_id": None,
            "proposed_at": joined,
            "decided_by_id": None,
            "decided_at": joined,
            "reason": "",
            "ended_by_id": None,
            "ended_at": None,
        },
    )
    status_of = dict(zip(codes, statuses, strict=True))

    # Bewijsstukken: each non-empty slot wants 1-6 koppelingen; an item covers 1-6 eindtermen that still want one.
    demand = {c: rng.choices(*LINKS_PER_SLOT)[0] for c in codes if status_of[c] != S.leeg.value}
    open_codes = list(demand)
    items: list[list[str]] = []
    while open_codes:
        size = min(rng.choices(*CODES_PER_ITEM)[0], len(open_codes))
        chosen = sorted(rng.sample(open_codes, size))
        items.append(chosen)
        for code in chosen:
            demand[code] -= 1
        open_codes = [c for c in open_codes if demand[c] > 0]

    first_work = start + timedelta(days=7)
    latest_event = now - timedelta(hours=1)
    # Per item: (evidence id, [(version id, created_at)]), and which items cover each eindterm.
    versions_of: list[list[tuple[int, datetime]]] = []
    covering: dict[str, list[int]] = {}
    for item_number, item_codes in enumerate(items):
        created = _between(rng, first_work, latest_event)
        revised = _between(rng, created, latest_event) if rng.random() < REVISED_SHARE else None
        kind = rng.choice(kinds)
        title = TITLES[kind].format(c=chr(65 + rng.randrange(26)))
        evidence_id = writer.new_id(Evidence)
        writer.add(
            Evidence,
            {
                "id": evidence_id,
                "student_id": student_id,
                "latest_version": 2 if revised else 1,
                "created_at": created,
                "updated_at": revised or created,
            },
        )
        versions: list[tuple[int, datetime]] = []
        for number, at in enumerate([created] if revised is None else [created, revised], start=1):
            version_id = writer.add(
                EvidenceVersion,
                {
                    "evidence_id": evidence_id,
                    "number": number,
                    "title": title if number == 1 else f"{title} (herzien)",
                    "activity_date": (at - timedelta(days=rng.randint(0, 10))).date(),
                    "kind": kind,
                    "reflection": REFLECTION,
                    "links": [f"https://{DOMAIN}/bron/{evidence_id}"] if kind == EvidenceKind.link.value else [],
                    "privacy_confirmed": True,
                    "created_at": at,
                    "created_by": student_id,
                },
            )
            versions.append((version_id, at))
            for code in item_codes:
                writer.add(
                    EvidenceLink,
                    {"version_id": version_id, "eindterm_code": code, "justification": JUSTIFICATION.format(code=code)},
                )
            if trail:
                log.add(
                    at,
                    student_id,
                    "evidence.created" if number == 1 else "evidence.revised",
                    "evidence",
                    evidence_id,
                    {"version": number, "files": 0, "eindtermen": item_codes},
                )
        versions_of.append(versions)
        for code in item_codes:
            covering.setdefault(code, []).append(item_number)

    score_codes, score_weights = scores
    for code in codes:
        status = status_of[code]
        linked = covering.get(code, [])
        activity = [at for item in linked for _, at in versions_of[item]]
        submission_id: int | None = None
        score: str | None = None
        if status in SUBMITTED:
            # Submitted once all its items existed; it holds the versions that were current at that moment.
            ready = max(versions_of[item][0][1] for item in linked)
            submitted_at = _between(rng, ready, latest_event)
            version_ids = sorted(
                max((v for v in versions_of[item] if v[1] <= submitted_at), key=lambda v: v[1])[0] for item in linked
            )
            submission_id = writer.add(
                Submission,
                {
                    "student_id": student_id,
                    "framework_id": framework.id,
                    "framework_version": framework.version,
                    "eindterm_code": code,
                    "supervisor_id": supervisor.id,
                    "message": "Graag aftekenen." if rng.random() < 0.5 else "",
                    "version_ids": version_ids,
                    "submitted_at": submitted_at,
                },
            )
            activity.append(submitted_at)
            if trail:
                log.add(
                    submitted_at,
                    student_id,
                    "slot.submitted",
                    "slot",
                    code,
                    {"submission_id": submission_id, "versions": version_ids},
                )
            if status in DECISION_OF:
                decision = DECISION_OF[status]
                decided_at = _between(rng, submitted_at, latest_event)
                writer.add(
                    SignOff,
                    {
                        "submission_id": submission_id,
                        "student_id": student_id,
                        "eindterm_code": code,
                        "decision": decision,
                        "comment": COMMENTS[decision],
                        "decided_at": decided_at,
                        "decided_by_id": supervisor.id,
                        "decided_by_name": supervisor.name,
                        "decided_by_email": supervisor.email,
                        "decided_by_function": supervisor.function,
                        "via_link_id": None,
                        "assignment_id": assignment_id,
                    },
                )
                activity.append(decided_at)
                if trail:
                    log.add(
                        decided_at,
                        supervisor.id,
                        f"signoff.{decision}",
                        "submission",
                        submission_id,
                        {"eindterm": code, "student_id": student_id, "via_link": False},
                    )
            if status == S.beoordeeld.value:
                score = rng.choices(score_codes, weights=score_weights)[0]
                scored_at = _between(rng, activity[-1], latest_event)
                assessment_id = writer.add(
                    Assessment,
                    {
                        "student_id": student_id,
                        "eindterm_code": code,
                        "framework_id": framework.id,
                        "framework_version": framework.version,
                        "submission_id": submission_id,
                        "score": score,
                        "feedback": FEEDBACK,
                        "assessor_id": assessor.id,
                        "created_at": scored_at,
                    },
                )
                activity.append(scored_at)
                if trail:
                    log.add(
                        scored_at,
                        assessor.id,
                        "assessment.scored",
                        "slot",
                        code,
                        {"student_id": student_id, "score": score, "assessment_id": assessment_id},
                    )
        writer.add(
            Slot,
            {
                "student_id": student_id,
                "framework_id": framework.id,
                "framework_version": framework.version,
                "eindterm_code": code,
                "status": status,
                "evidence_count": len(linked),
                "last_activity_at": max(activity) if activity else None,
                "submission_id": submission_id,
                "score": score,
            },
        )


def _move_sequences(session: Session) -> None:
    """PostgreSQL: ids were given explicitly, so move each id sequence past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in WRITTEN:
        name = _table(model).name
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))")  # noqa: S608
        )
