"""The supervisor-assignment migration keeps existing data counting: today's praktijkbegeleider becomes an approved
assignment, and their sign-offs are linked to it (others' stay unlinked, so readiness does not count them)."""

import sqlite3


def test_existing_supervisors_and_their_sign_offs_are_carried_over(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from app import migrate

    path = tmp_path / "before.db"
    config = migrate.alembic_config(f"sqlite:///{path}")
    command.upgrade(config, "b9a1c0de0005")
    # Raw rows (foreign keys are not enforced on a plain sqlite3 connection): only what the backfill reads.
    with sqlite3.connect(path) as conn:
        for user_id, email in ((1, "lotte@x.nl"), (2, "sandra@x.nl"), (3, "anders@x.nl")):
            conn.execute(
                "INSERT INTO user_account (id, email, name, locale, is_active, notify_daily_digest, created_at) "
                "VALUES (?, ?, ?, 'nl', 1, 0, '2026-01-01 00:00:00')",
                (user_id, email, email.split("@")[0].title()),
            )
        conn.execute(
            "INSERT INTO enrolment (id, cohort_id, student_id, workplace, supervisor_id, created_at) "
            "VALUES (7, 1, 1, 'Bakkerij', 2, '2026-01-02 00:00:00')"
        )
        conn.execute(
            "INSERT INTO enrolment (id, cohort_id, student_id, created_at) VALUES (8, 1, 3, '2026-01-02 00:00:00')"
        )
        for sign_off_id, decider in ((1, 2), (2, 3)):
            conn.execute(
                "INSERT INTO sign_off (id, submission_id, student_id, eindterm_code, decision, comment, decided_at, "
                "decided_by_id, decided_by_name, decided_by_email) "
                "VALUES (?, ?, 1, 'IA-a', 'afgetekend', '', '2026-02-01 00:00:00', ?, 'x', 'x@x.nl')",
                (sign_off_id, sign_off_id, decider),
            )
    command.upgrade(config, "c15a00000001")
    with sqlite3.connect(path) as conn:
        assignments = conn.execute(
            "SELECT id, enrolment_id, student_id, status, supervisor_id, email, workplace FROM supervisor_assignment"
        ).fetchall()
        assert [a[1:] for a in assignments] == [(7, 1, "goedgekeurd", 2, "sandra@x.nl", "Bakkerij")]
        linked = dict(conn.execute("SELECT id, assignment_id FROM sign_off").fetchall())
        assert linked == {1: assignments[0][0], 2: None}
    command.downgrade(config, "b9a1c0de0005")
