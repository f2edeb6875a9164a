"""Dates in one Dutch format on every page and PDF ("4 december 2026"), times in Dutch time, months as words."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

from fastapi import FastAPI
from sqlmodel import Session

from app.hours import service as hours
from app.i18n import set_locale
from app.web import templates
from tests.conftest import Browser, World, login

# Anything but the one format: ISO dates or months, numeric dates, abbreviated month names.
OTHER_FORMATS = re.compile(
    r"\b\d{4}-\d{2}(-\d{2})?\b|\b\d{1,2}-\d{1,2}-\d{4}\b"
    r"|\b\d{1,2} (jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec)\.? \d{4}\b"
)


def _filter(name: str) -> Callable[..., str]:
    return templates.env.filters[name]  # type: ignore[no-any-return]


def test_dates_are_written_out_and_times_are_dutch_time() -> None:
    set_locale("nl")
    datum = _filter("datum")
    assert datum(date(2026, 12, 4)) == "4 december 2026"
    # Stored times are UTC; the page shows Dutch time, winter and summer (SQLite hands back naive UTC).
    assert datum(datetime(2026, 12, 4, 13, 5, tzinfo=UTC)) == "4 december 2026 14:05"
    assert datum(datetime(2026, 7, 1, 12, 5)) == "1 juli 2026 14:05"
    assert _filter("maand")("2026-11") == "november 2026"
    set_locale("en")
    try:
        assert datum(date(2026, 12, 4)) == "4 December 2026"
        assert _filter("maand")(date(2026, 11, 3)) == "November 2026"
    finally:
        set_locale("nl")


def test_the_hours_page_names_months_in_words(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    hours.log_hours(
        db,
        student_id=world.student.id or 0,
        registry=app.state.frameworks,
        data=hours.HoursInput(work_date="2026-11-03", hours="4", activity="Coaching"),
    )
    db.commit()
    student = client_factory()
    login(student, world.student.email)
    page = student.get("/praktijkuren").text
    assert "november 2026" in page
    assert "Maand 2026-11" not in page and "2026-11" not in _visible_text(page)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "textarea"):
            self._skip += 1
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith("//"):
            self.links.append(href.split("#")[0])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "textarea"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _visible_text(html: str) -> str:
    parser = _Page()
    parser.feed(html)
    return " ".join(" ".join(parser.text).split())


def _crawl(client: Browser, limit: int = 60) -> dict[str, str]:
    """Every HTML page reachable from the start page by links (downloads left out), with its visible text."""
    seen: dict[str, str] = {}
    todo = ["/"]
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen or re.search(r"logout|export|download|bestand|\.pdf|\.csv|\.xlsx|\.zip|/static/", path):
            continue
        response = client.get(path, follow_redirects=True)
        seen[path] = ""
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Page()
        parser.feed(response.text)
        seen[path] = " ".join(" ".join(parser.text).split())
        todo += [link for link in parser.links if link not in seen]
    return seen


def test_no_page_mixes_in_another_date_format(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    monday = date.today() - timedelta(days=date.today().weekday() + 14)
    for offset in (0, 1):
        hours.log_hours(
            db,
            student_id=world.student.id or 0,
            registry=app.state.frameworks,
            data=hours.HoursInput(work_date=(monday + timedelta(days=offset)).isoformat(), hours="6", activity="Job"),
        )
    db.commit()
    found: list[str] = []
    for person in (world.student, world.coordinator, world.supervisor, world.assessor):
        client = client_factory()
        login(client, person.email)
        pages = _crawl(client)
        assert len(pages) > 3, pages.keys()
        for path, text in pages.items():
            for match in OTHER_FORMATS.finditer(text):
                found.append(f"{person.email} {path}: …{text[max(0, match.start() - 30) : match.end() + 5]}…")
    assert not found, "\n".join(found)
