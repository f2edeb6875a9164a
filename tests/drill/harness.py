"""Bring the drill's world up (and down): cluster, S3, SMTP sink, two instances, a worker, the demo."""

from __future__ import annotations

import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from tests.drill import services
from tests.drill.client import Client, Figures
from tests.drill.cluster import Cluster


@dataclass
class Drill:
    cluster: Cluster
    s3: services.S3
    mail: services.Mail
    env: dict[str, str]
    instances: list[services.Process]
    worker: services.Process
    engine: Engine
    logs: Path
    secret_key: str
    figures: Figures = field(default_factory=Figures)
    started: float = field(default_factory=time.monotonic)

    @property
    def urls(self) -> list[str]:
        return [i.url for i in self.instances]

    def client(self, timeout: float = 30) -> Client:
        return Client(self.urls, self.secret_key, timeout=timeout)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def missing_blobs(self) -> list[str]:
        """Keys the database points at (evidence files, dossiers, exports) that the bucket does not hold."""
        stored = self.s3.keys()
        known = {r[0] for r in self.rows("SELECT key FROM blob WHERE removed_at IS NULL")}
        known |= {r[0] for r in self.rows("SELECT pdf_key FROM dossier WHERE pdf_key IS NOT NULL")}
        known |= {r[0] for r in self.rows("SELECT zip_key FROM dossier WHERE zip_key IS NOT NULL")}
        known |= {r[0] for r in self.rows("SELECT zip_key FROM privacy_export WHERE zip_key IS NOT NULL")}
        return sorted(k for k in known if not any(name.endswith(k) for name in stored))

    def wait_for(self, sql: str, expected: Any, *, timeout: float, **params: Any) -> Any:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.scalar(sql, **params)
            except Exception:  # the database may be coming back
                value = None
            if value == expected:
                return value
            time.sleep(0.25)
        return value


def bring_up() -> Drill:
    logs = Path(tempfile.mkdtemp(prefix="drill-logs-"))
    cluster = Cluster()
    s3 = services.S3(logs)
    mail = services.Mail()
    secret_key = secrets.token_urlsafe(32)
    env = services.app_env(database_url=cluster.url, s3=s3, mail=mail, secret_key=secret_key, base_url="http://drill")
    for command in (("migrate",), ("demo",)):
        done = services.portfolio(env, *command)
        assert done.returncode == 0, f"portfolio {command[0]}: {done.stderr[-2000:]}"
    instances = [services.instance(name, env, logs) for name in ("app-a", "app-b")]
    for one in instances:
        one.start()
    worker = services.worker(env, logs)
    worker.start()
    engine = create_engine(cluster.url, pool_pre_ping=True)
    return Drill(cluster, s3, mail, env, instances, worker, engine, logs, secret_key)


def bring_down(drill: Drill) -> None:
    for process in (*drill.instances, drill.worker):
        process.stop()
    drill.engine.dispose()
    drill.mail.stop()
    drill.s3.stop()
    drill.cluster.remove()


def storage_check(drill: Drill) -> Any:
    """`portfolio storage check` with no grace: what a killed upload left behind is listed, nothing removed."""
    return services.portfolio(drill.env, "storage", "check", "--grace-minutes", "0")
