"""`portfolio`: the operations command line (serve, migrate, demo, user create, import)."""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
import uvicorn
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import migrate as migrations
from app import wiring
from app.accounts import service as accounts
from app.accounts.models import Role
from app.config import get_settings
from app.db import DailyStatistics, make_engine, refresh_statistics
from app.errors import DomainError

wiring.wire()  # the CLI runs services without the web app: connect the hooks here too

cli = typer.Typer(help="Jobcoach-portfolio: beheeropdrachten.", no_args_is_help=True)
user_cli = typer.Typer(help="Gebruikers beheren.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
storage_cli = typer.Typer(help="Bestandsopslag controleren.", no_args_is_help=True)
cli.add_typer(storage_cli, name="storage")
audit_cli = typer.Typer(help="De auditlog controleren.", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")
retention_cli = typer.Typer(help="Bewaartermijnen toepassen (AVG).", no_args_is_help=True)
cli.add_typer(retention_cli, name="retention")


@cli.callback()
def _settings_usable() -> None:
    """Refused settings (the public development key outside development mode) end with their reason, not a trace."""
    from pydantic import ValidationError

    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(str(error["msg"]).removeprefix("Value error, "), err=True)
        raise typer.Exit(2) from None
    if settings.development:
        typer.echo("Ontwikkelmodus (DEVELOPMENT=true): openbare sleutel, alleen voor lokaal gebruik.", err=True)


def _database_url() -> str:
    """The configured URL; for SQLite, the file's folder is created (data/ is not in the repository)."""
    url = get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return url


@contextmanager
def _engine() -> Iterator[Engine]:
    engine = make_engine(_database_url())
    try:
        yield engine
    finally:
        engine.dispose()


@cli.command()
def migrate() -> None:
    """Breng de database naar het nieuwste schema."""
    migrations.upgrade(_database_url())
    with _engine() as engine, Session(engine) as session:
        refresh_statistics(session)  # a deploy is a good moment: the planner sees today's table sizes
        session.commit()
    typer.echo("Database is bijgewerkt.")


@cli.command()
def demo() -> None:
    """Vul een lege database met een realistische demo (doet niets als er al gegevens zijn)."""
    from app.demo import print_logins, seed_if_empty
    from app.storage import storage_from_settings

    migrations.upgrade(_database_url())
    with _engine() as engine, Session(engine) as session:
        created = seed_if_empty(session, storage=storage_from_settings(get_settings()))
        session.commit()
        refresh_statistics(session)
        session.commit()
    typer.echo("Demo aangemaakt." if created else "De database bevat al gegevens; de demo is niet opnieuw aangemaakt.")
    print_logins()


@cli.command("bench-data")
def bench_data(
    students: int = typer.Option(2000, help="Aantal studenten."),
    cohorts: int = typer.Option(20, help="Aantal cohorten (de studenten gelijk verdeeld)."),
    seed: int = typer.Option(1, help="Zelfde seed, zelfde gegevens."),
    force: bool = typer.Option(False, "--force", help="Ook als de database al gebruikers bevat."),
) -> None:
    """Vul de database met synthetische benchmarkgegevens (studenten, bewijs, aftekeningen, beoordelingen)."""
    import time

    from app import benchdata
    from app.framework.registry import load_frameworks

    started = time.perf_counter()
    migrations.upgrade(_database_url())
    registry = load_frameworks(get_settings().framework_dir)
    with _engine() as engine, Session(engine) as session:
        try:
            counts = benchdata.generate(
                session, students=students, cohorts=cohorts, seed=seed, registry=registry, force=force
            )
        except benchdata.DatabaseNotEmpty as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        session.commit()
        refresh_statistics(session)  # after a bulk load, as the worker would do within a day
        session.commit()
    for table, count in counts.items():
        typer.echo(f"{table:<24} {count:>9}")
    elapsed = time.perf_counter() - started
    typer.echo(f"Klaar in {elapsed:.1f} s. Inloggen: {benchdata.COORDINATOR_EMAIL} / {benchdata.PASSWORD}")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    workers: int = 1,
    with_worker: bool = typer.Option(False, "--with-worker", help="Ook de mail-worker starten (ontwikkeling)."),
) -> None:
    """Start de webserver."""
    from app.logs import configure, logging_config

    if with_worker:
        configure(get_settings())  # before the thread's first line; uvicorn applies the same config again
        stop = threading.Event()
        threading.Thread(target=_run_worker, kwargs={"stop": stop}, daemon=True, name="worker").start()
    if reload:
        os.environ["PORTFOLIO_TEMPLATE_RELOAD"] = "1"  # edited templates show without a restart too
    if workers > 1:
        from app.ops.metrics import prepare_multiprocess

        prepare_multiprocess()
    # The client address (login and link limits, logs) comes from X-Forwarded-For only behind these proxies. The app
    # applies them itself (app.logs.RequestId): it must see the direct peer to decide about its X-Request-ID.
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        proxy_headers=False,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_config=logging_config(get_settings()),  # JSON lines from uvicorn's loggers too, in every worker process
    )


def _run_worker(*, once: bool = False, stop: threading.Event | None = None) -> None:
    from datetime import datetime

    from app.notifications.worker import run_worker
    from app.signoff import service as signoff

    settings = get_settings()

    def reminders_and_escalations(session: Session, now: datetime) -> None:
        signoff.send_reminders(session, now=now, settings=settings)

    def daily_digests(session: Session, now: datetime) -> None:
        signoff.send_digests(session, now=now, settings=settings)

    def waiting_exports(session: Session, now: datetime) -> None:
        from app.privacy.export import build_waiting
        from app.storage import storage_from_settings

        build_waiting(session, now, storage=storage_from_settings(settings), settings=settings)

    registries: list[Any] = []

    def stale_dossiers(session: Session, now: datetime) -> None:
        from datetime import timedelta

        from app.framework.registry import load_frameworks
        from app.readiness.dossier import build_stale
        from app.storage import storage_from_settings

        if not registries:  # loaded once per worker, at the first pass
            registries.append(load_frameworks(Path(settings.framework_dir)))
        older_than = timedelta(seconds=settings.build_stale_seconds)
        storage = storage_from_settings(settings)
        build_stale(session, now, storage=storage, registry=registries[0], older_than=older_than)

    run_worker(
        settings=settings,
        once=once,
        stop=stop,
        extra_jobs=[reminders_and_escalations, daily_digests, waiting_exports, stale_dossiers, DailyStatistics()],
    )


@cli.command()
def worker(once: bool = typer.Option(False, "--once", help="Eén ronde en dan stoppen (bijv. vanuit cron).")) -> None:
    """Verstuur mail uit de outbox en verstuur herinneringen, escalaties en dagoverzichten."""
    from app.logs import configure

    configure(get_settings())
    _database_url()  # creates data/ for SQLite
    _run_worker(once=once)


@user_cli.command("create")
def user_create(
    email: str,
    name: str,
    role: list[Role] = typer.Option(..., "--role", help="Eén of meer rollen."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Maak een gebruiker aan met een wachtwoord."""
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        typer.echo(f"'{email}' is geen geldig e-mailadres.", err=True)
        raise typer.Exit(1) from None
    if not name.strip():
        typer.echo("Geef een naam op.", err=True)
        raise typer.Exit(1)
    with _engine() as engine, Session(engine) as session:
        try:
            user = accounts.create_user(session, email=email, name=name, roles=set(role), password=password)
        except DomainError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from None
        session.commit()
        typer.echo(f"Gebruiker {user.email} aangemaakt (id {user.id}).")


@cli.command("import")
def import_people(
    cohort: int = typer.Option(..., help="Id van het cohort."),
    file: Path = typer.Argument(..., exists=True, readable=True),
) -> None:
    """Importeer personen uit een CSV-bestand in een cohort (alles-of-niets)."""
    from app.cohorts import service as cohorts
    from app.cohorts.models import Cohort

    with _engine() as engine, Session(engine) as session:
        target = session.get(Cohort, cohort)
        if target is None:
            typer.echo(f"Cohort {cohort} bestaat niet.", err=True)
            raise typer.Exit(1)
        try:
            result = cohorts.import_people(
                session, actor=None, cohort=target, data=file.read_bytes(), settings=get_settings()
            )
        except DomainError as exc:
            typer.echo(exc.message, err=True)
            for detail in exc.details:
                typer.echo(f"  {detail}", err=True)
            raise typer.Exit(1) from None
        session.commit()
    typer.echo(
        f"{result.created} nieuw, {result.updated} bijgewerkt, {result.enrolled} ingeschreven, "
        f"{result.assigned} koppelingen, {result.unchanged} ongewijzigd."
    )


@cli.command("programme-hours")
def programme_hours(
    programme: int = typer.Argument(..., help="Id van de opleiding."),
    hours: int | None = typer.Argument(None, help="Minimum goedgekeurde praktijkuren; weglaten: volg het kader."),
) -> None:
    """Stel het minimum aantal goedgekeurde praktijkuren voor diplomagereedheid in voor een opleiding."""
    from app.hours import service as hours_service

    with _engine() as engine, Session(engine) as session:
        try:
            hours_service.set_programme_minimum(session, programme_id=programme, hours=hours, actor_id=None)
        except DomainError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from None
        session.commit()
    typer.echo(f"Opleiding {programme}: minimum praktijkuren {hours if hours is not None else 'volgens het kader'}.")


@storage_cli.command("check")
def storage_check(
    remove: bool = typer.Option(False, "--remove", help="Verwijder verweesde bestanden en achtergebleven uploads."),
    grace_minutes: int = typer.Option(60, help="Jongere onbekende bestanden kunnen nog bij een lopende upload horen."),
) -> None:
    """Vergelijk opslag en database: verweesde bestanden, ontbrekende bestanden, afwijkende checksums."""
    from datetime import timedelta

    from sqlmodel import col, select

    from app.evidence.models import Blob
    from app.storage import check_storage, storage_from_settings

    with _engine() as engine, Session(engine) as session:
        # Files removed by retention or erasure are meant to be gone: not "missing".
        known: dict[str, str | None] = dict(
            session.exec(select(Blob.key, Blob.sha256).where(col(Blob.removed_at).is_(None))).all()
        )
    report = check_storage(
        storage_from_settings(get_settings()), known=known, remove=remove, grace=timedelta(minutes=grace_minutes)
    )
    for label, count in report.report_lines():
        typer.echo(f"{label:<36} {count}")
    for key in report.missing:
        typer.echo(f"ONTBREEKT {key}", err=True)
    for mismatch in report.mismatches:
        typer.echo(f"CHECKSUM {mismatch.key}", err=True)
    if report.missing or report.mismatches:
        raise typer.Exit(1)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Controleer de hashketen van de auditlog: een gewijzigde, verwijderde of verplaatste rij wordt gevonden."""
    import app.models  # noqa: F401  (every bound table must be known to the check)
    from app.audit.verify import verify_command

    raise typer.Exit(verify_command())


@retention_cli.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Laat zien wat zou worden verwijderd; wijzig niets."),
) -> None:
    """Verwijder wat over de bewaartermijn is (bewijsbestanden, exports, toegangslog). Dagelijks veilig te draaien."""
    from app.privacy import retention
    from app.storage import storage_from_settings

    settings = get_settings()
    with _engine() as engine, Session(engine) as session:
        due = retention.plan(session, settings=settings)
        if dry_run:
            counts = due.counts()
        else:
            storage = storage_from_settings(settings)
            counts = dict(retention.apply(session, plan=due, storage=storage, settings=settings))
            session.commit()
    for line in retention.report_lines(counts, dry_run=dry_run):
        typer.echo(line)


@cli.command()
def backup(dest: Path = typer.Argument(..., help="Een nieuwe (of lege) map voor de back-up.")) -> None:
    """Maak een consistente back-up: database, alle bestanden en een manifest (docs/ops/backup.md)."""
    from app.ops.backup import BackupError, make_backup, summary
    from app.storage import storage_from_settings

    settings = get_settings()
    try:
        manifest = make_backup(settings=settings, storage=storage_from_settings(settings), dest=dest)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(summary(manifest, dest=dest))


@cli.command()
def restore(src: Path = typer.Argument(..., exists=True, file_okay=False, help="De map van een back-up.")) -> None:
    """Zet een back-up terug in een lege database en opslag, controleer alles en pas verwijderingen opnieuw toe."""
    import app.models  # noqa: F401  (audit verify checks every bound table)
    from app.ops.restore import RestoreError, restore_backup
    from app.storage import storage_from_settings

    _database_url()  # creates data/ for SQLite
    settings = get_settings()
    try:
        report = restore_backup(settings=settings, storage=storage_from_settings(settings), src=src)
    except RestoreError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    for note in report.notes:
        typer.echo(note)
    typer.echo(report.summary())
    for problem in report.problems:
        typer.echo(f"FOUT {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
