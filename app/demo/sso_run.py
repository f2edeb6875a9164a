"""`make run-sso` (`python -m app.demo.sso_run`): the demo with the school sign-in, tried in a browser.

Two of panva's oidc-provider (tests/oidc/provider.mjs) on loopback stand in for SURFconext (port 8090) and eduID
(8091); the app gets OIDC_PROVIDERS for them, an SQLite database of its own (data/sso-demo.db: the demo seeded into
it when it is empty, the school sign-in added, see app/demo/sso.py) and serves on http://127.0.0.1:8000 in
development mode, mail printed to the console. Ctrl-C stops all three.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from app.config import ROOT

HOST, PORT = "127.0.0.1", 8000
PROVIDER_PORTS = {"school": 8090, "eduid": 8091}
OIDC_DIR = ROOT / "tests" / "oidc"
DATA = ROOT / "data"


class ProviderFailed(RuntimeError):
    """oidc-provider did not say READY (not installed, or its port taken)."""


def start_provider(config: dict[str, Any]) -> tuple[subprocess.Popen[str], str]:
    """One of panva's oidc-provider (tests/oidc/provider.mjs) with this configuration, and the issuer it printed.
    The demo and the sign-in tests start their providers through here."""
    node = shutil.which("node")
    if node is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        raise ProviderFailed("oidc-provider ontbreekt: `make oidc-provider` (Node.js 20 en npm nodig).")
    command = [node, str(OIDC_DIR / "provider.mjs"), json.dumps(config)]
    process = subprocess.Popen(  # noqa: S603
        command, cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        process.kill()
        raise ProviderFailed(f"oidc-provider startte niet: {line!r}")
    return process, line.split(" ", 1)[1]


def _start_provider(name: str, *, base_url: str) -> tuple[subprocess.Popen[str], str]:
    from app.demo.sso import provider_config

    try:
        return start_provider(provider_config(name, base_url=base_url, port=PROVIDER_PORTS[name]))
    except ProviderFailed as exc:
        sys.exit(f"De inlogserver {name} (poort {PROVIDER_PORTS[name]}): {exc}")


def environment(urls: dict[str, str], *, base_url: str, database: Path) -> dict[str, str]:
    from app.demo.sso import providers_setting

    return {
        "DEVELOPMENT": "true",
        "MAIL_TO_CONSOLE": "true",
        "BASE_URL": base_url,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{database}"),
        "STORAGE_DIR": os.environ.get("STORAGE_DIR", str(DATA / "sso-demo-storage")),
        "OIDC_PROVIDERS": json.dumps(providers_setting(urls)),
    }


def _seed() -> None:
    from sqlmodel import Session

    from app.config import get_settings
    from app.db import make_engine
    from app.demo.sso import GUEST_SUPERVISOR, NEW_COORDINATOR, SCHOOL_ACCOUNTS, seed_sso

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            links = seed_sso(session, settings=settings)
            session.commit()
    finally:
        engine.dispose()
    print("\nInloggen met SURFconext (demo, http://127.0.0.1:8090): kies op de inlogpagina van de school")
    for account in SCHOOL_ACCOUNTS.values():
        print(f"  {account['name']:<20} {account['eduperson_principal_name']}")
    print(
        "  Lotte de Vries: gekoppeld via haar studentnummer; Daan Jansen: via zijn eduPersonPrincipalName;\n"
        "  Tim Onbekend: niet geïmporteerd, krijgt 'nog niet gekoppeld'."
    )
    print(f"\nNieuwe coördinator {NEW_COORDINATOR[0]}: open de activatielink en kies 'Inloggen met SURFconext':")
    print(f"  {links.coordinator_link or '(al gebruikt: log gewoon in met SURFconext)'}")
    print(f"\nPraktijkbegeleider {GUEST_SUPERVISOR[0]} (geïmporteerd): activatielink, dan 'Inloggen met eduID':")
    print(f"  {links.supervisor_link or '(al gebruikt: log gewoon in met eduID)'}\n")


def main() -> None:
    base_url = f"http://{HOST}:{PORT}"
    DATA.mkdir(exist_ok=True)
    started: list[subprocess.Popen[str]] = []
    try:
        urls = {}
        for name in PROVIDER_PORTS:
            process, urls[name] = _start_provider(name, base_url=base_url)
            started.append(process)
        os.environ.update(environment(urls, base_url=base_url, database=DATA / "sso-demo.db"))
        # The ordinary demo first (only into an empty database), then the school sign-in on top of it.
        subprocess.run([sys.executable, "-m", "app.cli", "demo"], cwd=ROOT, check=True)
        _seed()
        print(f"Het portfolio: {base_url}/login  (Ctrl-C stopt alles)\n", flush=True)
        serve = [sys.executable, "-m", "app.cli", "serve", "--host", HOST, "--port", str(PORT), "--with-worker"]
        server = subprocess.Popen(serve, cwd=ROOT, text=True)  # noqa: S603
        started.append(server)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in reversed(started):
            process.terminate()
        deadline = time.monotonic() + 10
        for process in started:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
