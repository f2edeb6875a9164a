"""One synthetic student: the account, the enrolment, and every slot with the records the services would write."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.accounts.models import Role, User
from app.assessment.models import Assessment
from app.benchdata.stages import (
    CODES_PER_ITEM,
    DECISION_OF,
    DOMAIN,
    LINKS_PER_SLOT,
    REVISED_SHARE,
    SUBMITTED,
    S,
    between,
    draw_statuses,
)
from app.benchdata.texts import COMMENTS, FEEDBACK, FIRST_NAMES, JUSTIFICATION, LAST_NAMES, REFLECTION, TITLES
from app.benchdata.writer import AuditLog, Writer
from app.cohorts.models import Enrolment, SupervisorAssignment
from app.evidence.models import Evidence, EvidenceKind, EvidenceLink, EvidenceVersion, Slot, Submission
from app.framework.schema import Framework
from app.signoff.models import SignOff


@dataclass
class Staff:
    id: int
    name: str
    email: str
    organisation: str | None = None
    function: str | None = None


def add_student(
    writer: Writer,
    log: AuditLog,
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
    supervisor: Staff,
    assessor: Staff,
    user: Any,
    trail: bool,
) -> None:
    """One student: the account, the enrolment, and every slot with the records behind it."""
    statuses = draw_statuses(rng, len(codes))  # first: slot_statuses() replays exactly these draws
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
        created = between(rng, first_work, latest_event)
        revised = between(rng, created, latest_event) if rng.random() < REVISED_SHARE else None
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
            submitted_at = between(rng, ready, latest_event)
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
                decided_at = between(rng, submitted_at, latest_event)
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
                scored_at = between(rng, activity[-1], latest_event)
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
