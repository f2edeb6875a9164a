"""The floor of each page: the fewest hand-written SQL statements that fetch the data the page shows.

Each floor runs on a plain SQLAlchemy connection to the server's database (Core/`text()`, no ORM, no
templates, no HTTP), fetches every row, and is timed with the same number of repetitions as the page. The page's
p50 divided by its floor's p50 is the `ratio`: what the app adds on top of the database (ORM objects, the
readiness rule, rendering, HTTP). Every floor starts with the session lookup a signed-in request needs.

Where the page shows an aggregate the database can compute (the heatmap's column counts, the readiness ranking
that picks the first 100 students), the floor lets SQL compute it: that is the minimal fetch, not the app's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from app.framework.schema import Framework

PAGE_SIZE = 100  # students on one heatmap or API page


@dataclass
class FloorContext:
    """Who asks and about what; `submissions` is consumed by the sign-off floor, one per repetition."""

    token_hash: str = ""  # sha256 of the session cookie of the user the page is requested as
    student_id: int = 0
    cohort_id: int = 0
    supervisor_id: int = 0
    framework: Framework | None = None
    submissions: list[int] = field(default_factory=list)

    @property
    def fw(self) -> Framework:
        assert self.framework is not None
        return self.framework

    def passing(self) -> list[str]:
        return [c for c in self.fw.scale_codes if self.fw.meets_minimum_score(c)]


Floor = Callable[[Connection, FloorContext], Any]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(conn: Connection, ctx: FloorContext) -> int:
    """The signed-in user (session, user and roles in one statement); returns the user id."""
    rows = conn.execute(
        text(
            "SELECT s.id, s.expires_at, s.last_seen_at, s.revoked_at, u.id, u.name, u.email, u.locale, u.is_active,"
            " u.function, r.role FROM user_session s JOIN user_account u ON u.id = s.user_id"
            " JOIN user_role r ON r.user_id = u.id WHERE s.token_hash = :h"
        ),
        {"h": ctx.token_hash},
    ).all()
    if not rows:
        raise RuntimeError("floor: no session for the token")
    return int(rows[0][4])


def _in(name: str, values: list[Any]) -> tuple[str, dict[str, Any]]:
    """`:name0, :name1, ...` and their parameters, for an IN list."""
    params = {f"{name}{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{k}" for k in params) or "NULL", params


def _fw(ctx: FloorContext) -> dict[str, Any]:
    return {"fid": ctx.fw.id, "fv": ctx.fw.version}


# --- student pages ------------------------------------------------------------------------------------------


def student_portfolio(conn: Connection, ctx: FloorContext) -> None:
    """GET /portfolio: enrolment, cohort and praktijkbegeleider; the student's 56 slots."""
    user_id = _session(conn, ctx)
    conn.execute(
        text(
            "SELECT e.id, e.workplace, c.id, c.name, c.framework_id, c.framework_version, sup.name, sup.email"
            " FROM enrolment e JOIN cohort c ON c.id = e.cohort_id"
            " LEFT JOIN user_account sup ON sup.id = e.supervisor_id WHERE e.student_id = :s ORDER BY e.id"
        ),
        {"s": user_id},
    ).all()
    conn.execute(
        text(
            "SELECT eindterm_code, status, evidence_count, last_activity_at, score FROM slot"
            " WHERE student_id = :s AND framework_id = :fid AND framework_version = :fv"
        ),
        {"s": user_id, **_fw(ctx)},
    ).all()


def readiness(conn: Connection, ctx: FloorContext) -> None:
    """GET /studenten/{id}/gereedheid as the coordinator: scope, slots with their submission date, substitutes,
    the readiness events (besluit, bevestiging, heropening) with who, and the dossiers."""
    user_id = _session(conn, ctx)
    found = conn.execute(
        text(
            "SELECT u.id, u.name, u.email, u.student_number, e.id, c.id, c.framework_id, c.framework_version, sup.name"
            " FROM enrolment e JOIN cohort c ON c.id = e.cohort_id JOIN user_account u ON u.id = e.student_id"
            " JOIN programme_coordinator pc ON pc.programme_id = c.programme_id AND pc.user_id = :me"
            " LEFT JOIN user_account sup ON sup.id = e.supervisor_id WHERE e.student_id = :s"
        ),
        {"me": user_id, "s": ctx.student_id},
    ).all()
    if not found:
        raise RuntimeError("floor: the student is not in the coordinator's programme")
    conn.execute(
        text(
            "SELECT sl.eindterm_code, sl.status, sl.score, sub.submitted_at FROM slot sl"
            " LEFT JOIN submission sub ON sub.id = sl.submission_id"
            " WHERE sl.student_id = :s AND sl.framework_id = :fid AND sl.framework_version = :fv"
        ),
        {"s": ctx.student_id, **_fw(ctx)},
    ).all()
    conn.execute(text("SELECT eindterm_code FROM substitute_approval WHERE student_id = :s"), {"s": ctx.student_id})
    conn.execute(
        text(
            "SELECT ev.id, ev.kind, ev.decision_id, ev.created_at, u.name FROM readiness_event ev"
            " JOIN user_account u ON u.id = ev.actor_id WHERE ev.student_id = :s ORDER BY ev.id"
        ),
        {"s": ctx.student_id},
    ).all()
    conn.execute(text("SELECT * FROM dossier WHERE student_id = :s ORDER BY id DESC"), {"s": ctx.student_id}).all()


# --- the praktijkbegeleider ---------------------------------------------------------------------------------

_PENDING = (
    "SELECT sub.id, sub.eindterm_code, sub.framework_id, sub.framework_version, sub.submitted_at, sub.message,"
    " u.id, u.name FROM submission sub JOIN slot sl ON sl.submission_id = sub.id"
    " JOIN user_account u ON u.id = sub.student_id"
    " WHERE sub.student_id IN (SELECT student_id FROM enrolment WHERE supervisor_id = :me)"
    " AND sl.status = 'ter_aftekening' ORDER BY sub.submitted_at, sub.id"
)


def pending_list(conn: Connection, ctx: FloorContext) -> None:
    """GET /aftekenen: the open requests of this praktijkbegeleider's students, oldest first."""
    user_id = _session(conn, ctx)
    conn.execute(text(_PENDING), {"me": user_id}).all()


def signoff_post(conn: Connection, ctx: FloorContext) -> None:
    """POST /aftekenen/{id}: ownership, not sealed, the sign-off, the slot, an audit event on the hash chain and
    the student's e-mail in the outbox, in one transaction (committed). Each repetition takes the next of
    `ctx.submissions`."""
    from app.audit import binding
    from app.audit.models import AuditChainHead, AuditEvent
    from app.audit.service import HEAD_ID, canonical_hash, head_mac
    from app.db import utcnow
    from app.evidence.models import Slot
    from app.notifications.models import OutboxMessage
    from app.signoff.models import SignOff

    user_id = _session(conn, ctx)
    submission_id = ctx.submissions.pop(0)
    row = conn.execute(
        text(
            "SELECT sub.id, sub.student_id, sub.eindterm_code, u.name, u.email, me.name, me.email, me.function"
            " FROM submission sub JOIN enrolment e ON e.student_id = sub.student_id AND e.supervisor_id = :me"
            " JOIN user_account u ON u.id = sub.student_id JOIN user_account me ON me.id = :me WHERE sub.id = :id"
        ),
        {"me": user_id, "id": submission_id},
    ).one()
    _, student_id, code, student_name, student_email, name, email, function = row
    conn.execute(
        text("SELECT kind, decision_id FROM readiness_event WHERE student_id = :s ORDER BY id"), {"s": student_id}
    ).all()
    now = utcnow()
    sign_off = SignOff.__table__  # type: ignore[attr-defined]
    inserted = conn.execute(
        insert(sign_off).returning(sign_off.c.id),
        {
            "submission_id": submission_id,
            "student_id": student_id,
            "eindterm_code": code,
            "decision": "afgetekend",
            "comment": "",
            "decided_at": now,
            "decided_by_id": user_id,
            "decided_by_name": name,
            "decided_by_email": email,
            "decided_by_function": function,
        },
    ).scalar_one()
    stored = conn.execute(select(sign_off).where(sign_off.c.id == inserted)).one()
    slot = Slot.__table__  # type: ignore[attr-defined]
    moved = conn.execute(
        update(slot)
        .where(slot.c.submission_id == submission_id, slot.c.status == "ter_aftekening")
        .values(status="afgetekend", last_activity_at=now)
    )
    if moved.rowcount != 1:
        raise RuntimeError(f"floor: submission {submission_id} was not open")
    head = AuditChainHead.__table__  # type: ignore[attr-defined]
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    last_id, last_hash, row_count = conn.execute(
        text(f"SELECT last_event_id, last_hash, row_count FROM audit_chain_head WHERE id = :h{lock}"), {"h": HEAD_ID}
    ).one()
    if conn.dialect.name == "postgresql":  # as audit.record allocates it: the sequence, or the next free id
        event_id = int(conn.execute(text("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))")).scalar_one())
    else:
        highest = conn.execute(text("SELECT MAX(id) FROM audit_event")).scalar()
        event_id = max(highest or 0, last_id or 0) + 1
    # As audit.record(bind=[sign_off]): the stored row's hash rides in the event.
    bound = [[sign_off.name, inserted, binding.row_hash(sign_off, stored)]]
    data = json.loads(json.dumps({"eindterm": code, "student_id": student_id, "via_link": False, binding.KEY: bound}))
    event = {
        "id": event_id,
        "at": now,
        "actor_id": user_id,
        "action": "signoff.afgetekend",
        "object_type": "submission",
        "object_id": str(submission_id),
        "data": data,
    }
    event_hash = canonical_hash(prev_hash=last_hash, event_id=event_id, **{k: v for k, v in event.items() if k != "id"})
    conn.execute(insert(AuditEvent.__table__), {**event, "prev_hash": last_hash, "hash": event_hash})  # type: ignore[attr-defined]
    mac = head_mac(last_event_id=event_id, last_hash=event_hash, row_count=row_count + 1)
    conn.execute(
        update(head)
        .where(head.c.id == HEAD_ID)
        .values(last_event_id=event_id, last_hash=event_hash, row_count=row_count + 1, mac=mac)
    )
    conn.execute(
        insert(OutboxMessage.__table__),  # type: ignore[attr-defined]
        {
            "to_address": student_email,
            "subject": f"{code}: afgetekend",
            "body": f"Beste {student_name}, {name} heeft {code} afgetekend.",
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        },
    )
    conn.commit()


# --- the coordinator's cohort -------------------------------------------------------------------------------


def _cohort(conn: Connection, ctx: FloorContext) -> None:
    user_id = _session(conn, ctx)
    found = conn.execute(
        text(
            "SELECT c.* FROM cohort c JOIN programme_coordinator pc ON pc.programme_id = c.programme_id"
            " WHERE c.id = :c AND pc.user_id = :me"
        ),
        {"c": ctx.cohort_id, "me": user_id},
    ).all()
    if not found:
        raise RuntimeError("floor: cohort not in the coordinator's programme")


def _met_expression(ctx: FloorContext) -> tuple[str, dict[str, Any]]:
    """SQL for 'this slot meets the readiness rule': beoordeeld at the minimum score or better, or niet mogelijk
    with an approved substitute assignment when the framework lets that count."""
    codes, params = _in("pass", ctx.passing())
    met = f"(sl.status = 'beoordeeld' AND sl.score IN ({codes}))"
    if ctx.fw.readiness.substitute_counts:
        met += (
            " OR (sl.status = 'niet_mogelijk' AND EXISTS (SELECT 1 FROM substitute_approval sa"
            " WHERE sa.student_id = sl.student_id AND sa.eindterm_code = sl.eindterm_code))"
        )
    return f"CASE WHEN {met} THEN 1 ELSE 0 END", params


def _ranked_students(conn: Connection, ctx: FloorContext, *, limit: int | None) -> list[int]:
    """The cohort's students with names, staff, met count and last activity, most met first (the page's
    order), `limit` of them; returns their ids. The counting is grouped per student in a subquery (in the slot
    index's order: no sort of every slot row)."""
    met, params = _met_expression(ctx)
    rows = conn.execute(
        text(
            "SELECT u.id, u.name, u.student_number, e.workplace, sup.name, ass.name, p.met, p.last_activity"
            " FROM enrolment e JOIN user_account u ON u.id = e.student_id"
            " LEFT JOIN user_account sup ON sup.id = e.supervisor_id"
            " LEFT JOIN user_account ass ON ass.id = e.assessor_id"
            f" LEFT JOIN (SELECT sl.student_id AS student_id, SUM({met}) AS met,"
            " MAX(sl.last_activity_at) AS last_activity FROM slot sl"
            " WHERE sl.student_id IN (SELECT student_id FROM enrolment WHERE cohort_id = :c)"
            " AND sl.framework_id = :fid AND sl.framework_version = :fv GROUP BY sl.student_id) p"
            " ON p.student_id = e.student_id"
            " WHERE e.cohort_id = :c ORDER BY COALESCE(p.met, 0) DESC, lower(u.name)"
            + (f" LIMIT {int(limit)}" if limit else "")
        ),
        {"c": ctx.cohort_id, **_fw(ctx), **params},
    ).all()
    return [int(r[0]) for r in rows]


def _slots_of(conn: Connection, ctx: FloorContext, student_ids: list[int]) -> None:
    ids, params = _in("s", student_ids)
    conn.execute(
        text(
            f"SELECT student_id, eindterm_code, status, score FROM slot WHERE student_id IN ({ids})"
            " AND framework_id = :fid AND framework_version = :fv"
        ),
        {**params, **_fw(ctx)},
    ).all()


def _column_counts(conn: Connection, ctx: FloorContext) -> None:
    """Statuses per eindterm over the cohort, and per eindterm the students it is met for (the 'voldaan' row)."""
    met, params = _met_expression(ctx)
    conn.execute(
        text(
            f"SELECT sl.eindterm_code, sl.status, COUNT(*), SUM({met}) FROM slot sl"
            " JOIN enrolment e ON e.student_id = sl.student_id"
            " WHERE e.cohort_id = :c AND sl.framework_id = :fid AND sl.framework_version = :fv"
            " GROUP BY sl.eindterm_code, sl.status"
        ),
        {"c": ctx.cohort_id, **params, **_fw(ctx)},
    ).all()


def _filter_choices(conn: Connection, ctx: FloorContext) -> None:
    conn.execute(
        text(
            "SELECT DISTINCT e.supervisor_id, sup.name, e.assessor_id, ass.name, e.workplace FROM enrolment e"
            " LEFT JOIN user_account sup ON sup.id = e.supervisor_id"
            " LEFT JOIN user_account ass ON ass.id = e.assessor_id WHERE e.cohort_id = :c"
        ),
        {"c": ctx.cohort_id},
    ).all()


def overview(conn: Connection, ctx: FloorContext) -> None:
    """GET /cohorten/{id}/overzicht: the first 100 students by readiness with their 56 statuses, the column
    counts over the whole cohort, and the filter choices."""
    _cohort(conn, ctx)
    page = _ranked_students(conn, ctx, limit=PAGE_SIZE)
    _slots_of(conn, ctx, page)
    _column_counts(conn, ctx)
    _filter_choices(conn, ctx)


def overview_groups(conn: Connection, ctx: FloorContext) -> None:
    """GET /cohorten/{id}/overzicht?niveau=groep: the first 100 students by readiness with the met count per
    group (counted by SQL) instead of 56 statuses, and the filter choices (no per-eindterm column counts)."""
    _cohort(conn, ctx)
    page = _ranked_students(conn, ctx, limit=PAGE_SIZE)
    met, params = _met_expression(ctx)
    cases = []
    for g, group in enumerate(ctx.fw.groups):
        codes, group_params = _in(f"g{g}_", [e.code for e in group.eindtermen])
        params.update(group_params)
        cases.append(f"WHEN sl.eindterm_code IN ({codes}) THEN '{group.code}'")
    ids, id_params = _in("s", page)
    conn.execute(
        text(
            f"SELECT sl.student_id, CASE {' '.join(cases)} END AS grp, SUM({met}), COUNT(*) FROM slot sl"
            f" WHERE sl.student_id IN ({ids}) AND sl.framework_id = :fid AND sl.framework_version = :fv"
            " GROUP BY sl.student_id, grp"
        ),
        {**params, **id_params, **_fw(ctx)},
    ).all()
    _filter_choices(conn, ctx)


def export(conn: Connection, ctx: FloorContext) -> None:
    """GET /cohorten/{id}/overzicht.csv and .xlsx: every student of the cohort with every status."""
    _cohort(conn, ctx)
    students = _ranked_students(conn, ctx, limit=None)
    conn.execute(
        text(
            "SELECT sl.student_id, sl.eindterm_code, sl.status, sl.score FROM slot sl"
            " JOIN enrolment e ON e.student_id = sl.student_id"
            " WHERE e.cohort_id = :c AND sl.framework_id = :fid AND sl.framework_version = :fv"
        ),
        {"c": ctx.cohort_id, **_fw(ctx)},
    ).all()
    del students


def progress_api(conn: Connection, ctx: FloorContext) -> None:
    """GET /api/v1/cohorts/{id}/progress?size=100: the first 100 students by readiness with their statuses and
    the total."""
    _cohort(conn, ctx)
    page = _ranked_students(conn, ctx, limit=PAGE_SIZE)
    _slots_of(conn, ctx, page)
    conn.execute(text("SELECT COUNT(*) FROM enrolment WHERE cohort_id = :c"), {"c": ctx.cohort_id}).one()
