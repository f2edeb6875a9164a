"""Browser journeys: the real app under uvicorn on loopback, a fresh demo database per module (a copy of one
demo seeded per run), a real SMTP server on loopback for the mail it sends, and Debian's Chromium driven by
Playwright (no browser download). Journeys check every page they visit with axe-core (a11y.py)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest

from app.config import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
RESULTS = ROOT / "test-results"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    def latest_to(self, address: str, timeout: float = 10) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if address in str(message["To"]):
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail to {address}; got {[m['To'] for m in self.messages]}")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Collect:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            box.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    port = _free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@dataclass
class LiveServer:
    base: str
    database_url: str
    mailbox: Mailbox


SECRET_KEY = "browser-test-secret"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo (database and stored files) seeded once per run; every module's server gets a fresh copy."""
    template = tmp_path_factory.mktemp("demo-template")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{template / 'demo.db'}",
        "SECRET_KEY": SECRET_KEY,
        "STORAGE_DIR": str(template / "storage"),
    }
    env.pop("TEST_DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
    )
    return template


@pytest.fixture(scope="module")
def live_server_port() -> int:
    """The live server's port: a module that starts something pointing at the server (an OpenID provider with
    its redirect URI) asks for it first."""
    return _free_port()


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    """Extra environment for a module's live server (e.g. OIDC_PROVIDERS); none by default."""
    return {}


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    mailbox: tuple[Mailbox, int],
    live_server_port: int,
    live_server_env: dict[str, str],
) -> Iterator[LiveServer]:
    box, smtp_port = mailbox
    workdir = tmp_path_factory.mktemp("live")
    shutil.copy2(demo_template / "demo.db", workdir / "demo.db")
    shutil.copytree(demo_template / "storage", workdir / "storage")
    database_url = f"sqlite:///{workdir / 'demo.db'}"
    port = live_server_port
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "STORAGE_DIR": str(workdir / "storage"),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "LOGIN_MAX_FAILURES": "50",
        **live_server_env,
    }
    env.pop("TEST_DATABASE_URL", None)
    # The server's whole log (uvicorn's access log goes to stdout): checked for personal data and tokens below.
    server_log = workdir / "server.log"
    log_file = server_log.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {server_log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield LiveServer(base=base, database_url=database_url, mailbox=box)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
    assert_no_secrets_in_log(server_log, workdir / "demo.db", box)


def assert_no_secrets_in_log(log: Path, database: Path, box: Mailbox) -> None:
    """Like tests/test_log_hygiene.py, for the real server: no name, e-mail, mailed token or 9-digit number."""
    import re
    import sqlite3

    text = log.read_text(errors="replace")
    with sqlite3.connect(database) as conn:
        people = conn.execute("SELECT name, email FROM user_account").fetchall()
    secrets = {value for row in people for value in row if value}
    for message in box.messages:
        body = message.get_payload(decode=True) if not message.is_multipart() else message.as_bytes()
        found = re.findall(rb"/(?:link|wachtwoord-herstellen)/([A-Za-z0-9_-]{16,})", body or b"")
        secrets |= {token.decode() for token in found}
    leaks = sorted(value for value in secrets if value in text)
    assert leaks == [], f"the server log ({log}) contains personal data or tokens: {leaks}"
    assert re.findall(r"(?<![\w.:-])\d{9}(?![\w])", text) == [], f"a 9-digit number in the server log ({log})"


# Modules of which some tests were deselected or not named: their page check would judge half a module.
_PARTIAL_MODULES: set[str] = set()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # trylast: after -k/-m deselection; node ids given on the command line already narrowed `items`. Compare
    # with every test the module yields when collected whole.
    counts: dict[str, int] = {}
    for item in items:
        module = getattr(item, "module", None)
        if module is not None:
            counts[module.__name__] = counts.get(module.__name__, 0) + 1
    for item in items:
        module = getattr(item, "module", None)
        if module is None:
            continue
        defined = getattr(module, "__browser_tests__", None)
        if defined is None:
            defined = _count_tests(item)
            module.__browser_tests__ = defined
        if counts[module.__name__] < defined:
            _PARTIAL_MODULES.add(module.__name__)


def _count_tests(item: pytest.Item) -> int:
    """How many test items the item's module yields when collected whole (parametrised tests count each case)."""
    parent = item.getparent(pytest.Module)
    assert parent is not None
    return len(list(_expand(parent)))


def _expand(node: pytest.Collector) -> Iterator[pytest.Item]:
    for child in node.collect():
        if isinstance(child, pytest.Item):
            yield child
        elif isinstance(child, pytest.Collector):
            yield from _expand(child)


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[object]:
    if not Path(CHROMIUM).exists() or (shutil.which("chromium") is None and not Path(CHROMIUM).exists()):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium); browser journeys skipped")
    from playwright.sync_api import sync_playwright

    from tests.browser.a11y import CHECKED_KINDS, VISITED_KINDS

    # Per module, so that running one module alone asks the same of it as the whole run does.
    VISITED_KINDS.clear()
    CHECKED_KINDS.clear()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield _Watched(launched)
        launched.close()
    if _PARTIAL_MODULES & {request.module.__name__}:
        return  # some of this module's tests were left out (-k, a node id): the pages they check are not in
    unchecked = {kind: url for kind, url in VISITED_KINDS.items() if kind not in CHECKED_KINDS}
    assert not unchecked, (
        "pages the journeys opened but never checked with assert_accessible (axe, 375/1280 px): "
        + ", ".join(f"{kind} ({url})" for kind, url in sorted(unchecked.items()))
    )


class _Watched:
    """The launched browser, recording every HTML page its pages load (a11y.VISITED_KINDS)."""

    def __init__(self, launched: object) -> None:
        self._launched = launched

    def __getattr__(self, name: str) -> object:
        return getattr(self._launched, name)

    def new_context(self, *args: object, **kwargs: object) -> object:
        context = self._launched.new_context(*args, **kwargs)  # type: ignore[attr-defined]
        context.on("page", _watch)
        return context

    def new_page(self, *args: object, **kwargs: object) -> object:
        page = self._launched.new_page(*args, **kwargs)  # type: ignore[attr-defined]
        _watch(page)
        return page


def _watch(page: object) -> None:
    from tests.browser.a11y import FOREIGN_ORIGINS, VISITED_KINDS, page_kind

    def record(response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        if request.resource_type != "document" or request.frame != page.main_frame:  # type: ignore[attr-defined]
            return
        if any(response.url.startswith(origin + "/") for origin in FOREIGN_ORIGINS):  # type: ignore[attr-defined]
            return
        if "text/html" in (response.headers.get("content-type") or ""):  # type: ignore[attr-defined]
            VISITED_KINDS.setdefault(page_kind(response.url), response.url)  # type: ignore[attr-defined]

    page.on("response", record)  # type: ignore[attr-defined]


@pytest.fixture(scope="session", autouse=True)
def axe_report() -> Iterator[None]:
    """After the run: every page state axe checked, and any non-blocking (moderate/minor) findings."""
    from app.privacy.accessibility import CHECKS_FILE, load_checks
    from tests.browser.a11y import ALL_CHECKED_KINDS, AXE_VERSION, CHECKED, WCAG_TAGS

    yield
    if CHECKED:
        RESULTS.mkdir(exist_ok=True)
        report = {"axe_core": AXE_VERSION, "checked": CHECKED}
        (RESULTS / "axe-report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        # What /toegankelijkheid states, from this run; `make toegankelijkheid` copies it into the app.
        checks = {
            "axe_core": AXE_VERSION,
            "wcag_tags": WCAG_TAGS,
            "checked_on": date.today().isoformat(),
            "pages": sorted(ALL_CHECKED_KINDS),
        }
        (RESULTS / CHECKS_FILE.name).write_text(json.dumps(checks, indent=1) + "\n", encoding="utf-8")
        stated = load_checks()
        missing = sorted(ALL_CHECKED_KINDS - set(stated.pages))
        assert stated.axe_core == AXE_VERSION and not missing, (
            f"the accessibility statement ({CHECKS_FILE}) is behind the browser tests "
            f"(axe-core {stated.axe_core} vs {AXE_VERSION}; pages not listed: {missing}): run `make toegankelijkheid`"
        )


def screenshot(page: object, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
