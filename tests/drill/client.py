"""A client that alternates between the instances (as a load balancer without sticky sessions would), and the
tally of what happened to each operation."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

CSRF_COOKIE = "pf_csrf"
LEAKS = ("Traceback", "sqlalchemy.", "psycopg", "botocore", 'File "/')


class Client:
    """One person's browser: one cookie jar, each request sent to the next instance in turn."""

    def __init__(self, urls: list[str], secret_key: str, timeout: float = 30) -> None:
        self.urls = urls
        self._turn = itertools.cycle(range(len(urls)))
        self.secret_key = secret_key
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)
        self.last_url = ""

    def url(self, path: str, instance: int | None = None) -> str:
        self.last_url = self.urls[next(self._turn) if instance is None else instance]
        return self.last_url + path

    def csrf(self) -> str:
        raw = self.http.cookies.get(CSRF_COOKIE)
        if not raw:
            self.http.get(self.url("/login"))
            raw = self.http.cookies.get(CSRF_COOKIE)
        assert raw, "no CSRF cookie"
        return hmac.new(self.secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()

    def get(self, path: str, instance: int | None = None, **kwargs: Any) -> httpx.Response:
        return self.http.get(self.url(path, instance), **kwargs)

    def post(self, path: str, instance: int | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf(), **kwargs.pop("headers", {})}
        return self.http.post(self.url(path, instance), headers=headers, **kwargs)

    def login(self, email: str, password: str, instance: int | None = None) -> None:
        answer = self.post("/login", instance, data={"email": email, "password": password, "next": "/"})
        assert answer.status_code == 303, f"login {email}: {answer.status_code}"
        # A login still waiting for its second factor would pass as a 303 and then fail every action quietly.
        assert "tweede-factor" not in answer.headers.get("location", ""), f"login {email}: asks for a second factor"

    def close(self) -> None:
        self.http.close()


@dataclass
class Scenario:
    name: str
    tried: int = 0
    lost: int = 0
    duplicated: int = 0
    s503: int = 0
    other_5xx: int = 0
    refused_connection: int = 0  # the instance or database was down: the client saw no answer at all
    leaked: int = 0  # an error page showing a stack trace or a driver's message
    raw_resends: int = 0  # mail: the same Message-ID more than once at the sink (at-least-once delivery)
    notes: list[str] = field(default_factory=list)

    def answer(self, response: httpx.Response | None) -> None:
        """Count one answer (None: no answer, the connection failed)."""
        if response is None:
            self.refused_connection += 1
            return
        if response.status_code == 503:
            self.s503 += 1
        elif response.status_code >= 500:
            self.other_5xx += 1
            note = f"{response.status_code} {response.request.method} {response.request.url.path}"
            if note not in self.notes and len(self.notes) < 12:
                self.notes.append(note)
        if response.status_code >= 500 and any(leak in response.text for leak in LEAKS):
            self.leaked += 1

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.other_5xx or self.leaked)


@dataclass
class Figures:
    scenarios: list[Scenario] = field(default_factory=list)

    def scenario(self, name: str) -> Scenario:
        made = Scenario(name)
        self.scenarios.append(made)
        return made

    def totals(self) -> dict[str, int]:
        keys = ("tried", "lost", "duplicated", "s503", "other_5xx", "refused_connection", "leaked", "raw_resends")
        return {k: sum(getattr(s, k) for s in self.scenarios) for k in keys}

    def table(self) -> str:
        head = ("scenario", "tried", "lost", "dup", "503", "5xx other", "no answer", "leak", "resends", "ok")
        rows: list[tuple[object, ...]] = [
            (
                s.name,
                s.tried,
                s.lost,
                s.duplicated,
                s.s503,
                s.other_5xx,
                s.refused_connection,
                s.leaked,
                s.raw_resends,
                "ja" if s.ok else "NEE",
            )
            for s in self.scenarios
        ]
        totals = self.totals()
        rows.append(("totaal", *totals.values(), "ja" if all(s.ok for s in self.scenarios) else "NEE"))
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        return "\n".join("  ".join(f"{c!s:<{w}}" for c, w in zip(r, widths, strict=True)) for r in [head, *rows])

    def write(self, path: Path, *, seconds: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"seconds": round(seconds, 1), "totals": self.totals(), "scenarios": [asdict(s) for s in self.scenarios]}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
