"""What the drill works on: the demo's people, and pending sign-off requests made through the app itself."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, text

from app.config import ROOT
from app.demo import DEMO_PASSWORD, STUDENTS, SUPERVISORS
from app.demo import _email as email_of
from app.framework.registry import load_frameworks
from tests.drill.client import Client

PASSWORD = DEMO_PASSWORD
COORDINATOR = email_of("coordinator")
UPLOADER = email_of(STUDENTS[0][1])  # Lotte: uploads the large file
EXPORTER = email_of(STUDENTS[1][1])  # Daan: asks for his export
SUBMITTERS = [email_of(login) for _, login, _ in STUDENTS[3:6]]  # their requests are decided while an instance dies
SUPERVISOR_LOGINS = [email_of(login) for _, login, _, _ in SUPERVISORS]


def codes() -> list[str]:
    framework = load_frameworks(ROOT / "eindtermen").get("bvjn-eindtermen", "2012")
    return [e.code for e in framework.eindtermen]


def mp4_body(size: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A valid-looking MP4 of `size` bytes: an ftyp box, then one mdat box of zeros (generated, never in memory)."""
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    mdat = (size - len(ftyp)).to_bytes(4, "big") + b"mdat"
    yield ftyp + mdat
    left = size - len(ftyp) - len(mdat)
    zeros = bytes(chunk)
    while left > 0:
        yield zeros[: min(chunk, left)]
        left -= chunk


def make_pending(client: Client, engine: Engine, *, per_student: int) -> list[int]:
    """Each submitter writes one text-only bewijsstuk for eindtermen not yet submitted and sends them in: pending
    requests at their praktijkbegeleider. Returns the new submission ids."""
    made: list[int] = []
    all_codes = codes()
    for email in SUBMITTERS:
        client.http.cookies.clear()
        client.login(email, PASSWORD)
        with engine.connect() as conn:
            taken = set(
                conn.execute(
                    text(
                        "SELECT s.eindterm_code FROM submission s JOIN user_account u ON u.id = s.student_id "
                        "WHERE u.email = :e"
                    ),
                    {"e": email},
                ).scalars()
            )
        chosen = [c for c in all_codes if c not in taken][:per_student]
        form: dict[str, object] = {
            "title": f"Drill: werkproces {email}",
            "activity_date": "2026-03-02",
            "kind": "verslag",
            "reflection": "Situatie, taak, actie, resultaat: de drill schreef dit verslag.",
            "privacy": "ja",
            "eindterm": chosen,
            **{f"onderbouwing_{c}": "Dit laat zien hoe ik het aanpakte." for c in chosen},
        }
        saved = client.post("/bewijs", data=form)
        assert saved.status_code == 303, f"bewijs {email}: {saved.status_code} {saved.text[:300]}"
        sent = client.post("/api/v1/submissions", json={"eindtermen": chosen})
        assert sent.status_code in (200, 201), f"indienen {email}: {sent.status_code} {sent.text[:300]}"
        made += [item["id"] for item in sent.json()["items"]]
    client.http.cookies.clear()
    return made


def draft_form(title: str) -> dict[str, object]:
    code = codes()[0]
    return {
        "title": title,
        "activity_date": "2026-03-02",
        "kind": "verslag",
        "reflection": "Situatie, taak, actie, resultaat.",
        "privacy": "ja",
        "eindterm": [code],
        f"onderbouwing_{code}": "Dit laat zien hoe ik het aanpakte.",
    }


def multipart_fields(form: dict[str, object], boundary: str) -> bytes:
    parts = []
    for name, value in form.items():
        for one in value if isinstance(value, list) else [value]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{one}\r\n')
    return "".join(parts).encode()
