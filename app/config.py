"""Settings from the environment (and an optional `.env`), one object per process."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - a public placeholder, refused outside development mode
# The school's time zone: stored times are UTC, a Dutch user reads Dutch time (summer time included).
TIME_ZONE = ZoneInfo("Europe/Amsterdam")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'data' / 'portfolio.db'}"
    # Derives CSRF tokens (and the audit chain's key unless AUDIT_KEY is set). The default is public: it is
    # accepted only in development mode on SQLite (see `_refuse_public_key`).
    secret_key: str = DEV_SECRET_KEY
    # The audit chain's own key. Without it the chain is keyed from SECRET_KEY; set AUDIT_KEY to the current
    # SECRET_KEY once, and SECRET_KEY can be rotated (sessions, CSRF) without breaking `portfolio audit verify`.
    # Keep it with the backups: without it, a restored chain cannot be verified.
    audit_key: str | None = None
    # Local development (`make run`, the tests) only. The database being SQLite is no such sign: SQLite is the
    # default, and whoever knows the public key could forge CSRF tokens and rewrite the audit chain.
    development: bool = False
    framework_dir: Path = ROOT / "eindtermen"
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "nl"

    session_cookie: str = "pf_session"
    session_idle_minutes: int = 120
    session_max_hours: int = 12
    # Cookies are `Secure` in production; off only for plain-http local development and tests.
    cookie_secure: bool = False

    # Requests one server process works on at once; the rest wait their turn in arrival order. Each request's
    # dependencies and route hop between the event loop and worker threads; fifty of them interleaved hold a
    # database connection each, fight over the GIL and all finish late. Signed-in uploads streaming past the body
    # cap are not counted: a phone sending a video must not hold up everyone else. More helps when the database is
    # remote.
    max_active_requests: int = 2
    # Logins (`POST /login`) queue in a lane of their own: each checks an argon2 hash (CPU and memory on purpose),
    # and a flood of them must not hold the slots that pages are served in.
    max_active_logins: int = 2

    # Request bodies are capped before anything parses them (app/bodylimit.py): this many bytes, except on the
    # upload routes for a signed-in user with a valid CSRF token (up to the upload limits below). A body must
    # arrive within `body_timeout_seconds`, plus one second per `body_min_rate_bytes` received (a slow phone on a
    # large video keeps going, a trickle is cut off with 408). 0 as the rate switches the deadline off.
    body_max_bytes: int = 64 * 1024
    body_timeout_seconds: float = 10.0
    body_min_rate_bytes: int = 8 * 1024

    # The proxies (load balancer) whose X-Forwarded-For/-Proto uvicorn believes, comma-separated (`*`: any).
    # Behind a balancer every client otherwise has its address, and per-client limits hit everyone at once.
    forwarded_allow_ips: str = "127.0.0.1"

    # Logs (app/logs.py, docs/ops/logs.md): `json`, one object per line, or `text` for a person reading along.
    log_format: Literal["json", "text"] = "json"
    # A typo (LOG_LEVEL=INFOO) stops start-up with the allowed values, instead of a traceback from logging.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    login_max_failures: int = 5  # per e-mail address and client
    login_client_max_failures: int = 20  # per client across all addresses (password spraying)
    login_window_minutes: int = 15
    password_reset_hours: int = 2
    # A second factor (TOTP) for password logins of coordinators, beoordelaars and beheerders (docs/second-factor.md).
    # Off only for local development and the tests; school-account logins rely on the institution's MFA.
    second_factor_required: bool = True
    # The welcome mail's activation link for people created by a CSV import (single use, like a reset link).
    activation_link_days: int = 14

    # Evidence files: local disk by default, S3-compatible object storage for real deployments.
    storage_backend: str = "local"
    storage_dir: Path = ROOT / "data" / "storage"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    upload_max_bytes: int = 500 * 1024 * 1024  # per file: a video of a practice conversation fits
    # The erasure ledger (app/privacy/ledger.py): one line per erased person, applied again after a restore.
    # Outside the database and the evidence storage; in production on storage the backups do not share.
    # Unset: `erasure-ledger` next to STORAGE_DIR (data/erasure-ledger, beside the default SQLite file).
    erasure_ledger_dir: Path | None = None
    upload_max_files: int = 20

    # Aftekening: account-free links for praktijkbegeleiders, reminders and escalation to the coordinator.
    supervisor_link_days: int = 14
    reminder_after_days: int = 7
    escalate_after_days: int = 14
    # Wrong or tampered link tokens per client per window before that client's wrong tokens get 429 (a valid link
    # always works: one client's guessing must not lock others out).
    link_max_failures: int = 20

    # Development only (`make run` sets it): without SMTP_HOST, print mail to the console instead of sending it.
    # Off by default: a server that prints reset links into its logs has leaked them.
    mail_to_console: bool = False
    worker_interval_seconds: int = 10
    # A dossier or export build whose heartbeat (every 30 s while it runs) is older than this, or a request for one
    # that waited this long, belongs to a process that died: the worker builds it again (app/readiness/builds.py).
    build_stale_seconds: int = 300

    # Retention (AVG): `portfolio retention run` deletes what is due, daily.
    retention_evidence_months_after_decision: int = 12  # evidence files, after the readiness (diploma) decision
    retention_evidence_months_after_leaving: int = 6  # evidence files, after the student left the programme
    retention_records_years: int = 7  # decision record, scores and dossier hash manifest
    retention_access_log_months: int = 24  # access-log rows (who viewed which personal data)
    retention_export_days: int = 7  # generated per-student export ZIPs
    # The privacy statement's contact (the school's privacy officer / FG), shown as written on /privacy.
    privacy_contact: str = "de functionaris gegevensbescherming (FG) van uw school, via de opleidingscoördinator"

    # Sign in with the school's account (OpenID Connect; docs/sso.md): a JSON list of issuers, each with name,
    # display_name, issuer, client_id, client_secret, scopes and claims (our field -> claim name). Empty: SSO off.
    oidc_providers: str = ""
    # /metrics (Prometheus): a Bearer token and/or client addresses or networks, comma-separated. With neither,
    # /metrics answers 404. The address is the one uvicorn resolved (X-Forwarded-For only from FORWARDED_ALLOW_IPS).
    metrics_token: str | None = None
    metrics_allow_ips: str = ""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "portfolio@jobcoach.example"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def erasure_ledger_path(self) -> Path:
        return self.erasure_ledger_dir or self.storage_dir.parent / "erasure-ledger"

    @property
    def audit_secret(self) -> str:
        """What the audit chain's key derives from: AUDIT_KEY, or SECRET_KEY when that is not set."""
        return self.audit_key or self.secret_key

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_public_key(self) -> "Settings":
        # In the settings themselves, so that no entry point (server, worker, `audit verify`) can run with it.
        public = DEV_SECRET_KEY in (self.secret_key, self.audit_secret)
        if public and not (self.development and self.is_sqlite):
            raise ValueError(
                "Zet SECRET_KEY (bijv. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'). "
                "De openbare ontwikkelsleutel mag alleen met DEVELOPMENT=true op een lokale SQLite-database "
                "(make run zet dat aan)."
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
