"""The cohort overview as CSV and XLSX, with the filters applied, safe to open in a spreadsheet.

A CSV cell that starts with `=`, `+`, `-`, `@` (or a tab/carriage return) would be run as a formula by Excel and
LibreOffice; such text gets a leading apostrophe (OWASP's advice for CSV). XLSX has typed cells: text is written as
a string cell, which is never a formula, so it needs no apostrophe; counts are number cells.
"""

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import xlsxwriter

from app.dashboard.cohort_overview import Overview
from app.evidence.status import STATUS_LABELS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _header(view: Overview) -> list[str]:
    return [
        "Student",
        "Studentnummer",
        "Werkplek",
        "Praktijkbegeleider",
        "Beoordelaar",
        "Voldaan",
        "Totaal",
        *[e.code for e in view.framework.eindtermen],
    ]


def _rows(view: Overview) -> Iterator[list[str | int]]:
    """Cells as they are: text as text, counts as numbers; each format makes them safe in its own way."""
    total = len(view.framework.eindtermen)
    for row in view.rows:
        yield [
            row.student.name,
            row.student.student_number or "",
            row.enrolment.workplace or "",
            row.supervisor or "",
            row.assessor or "",
            row.met,
            total,
            *[STATUS_LABELS.get(row.statuses[e.code], row.statuses[e.code]) for e in view.framework.eindtermen],
        ]


def csv_chunks(view: Overview) -> Iterator[bytes]:
    """Streamed row by row; UTF-8 with BOM and `;` so Dutch Excel opens it as columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    yield "\ufeff".encode()
    writer.writerow(_header(view))
    for row in _rows(view):
        writer.writerow([value if isinstance(value, int) else neutralise(value) for value in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(view: Overview, directory: Path | None = None) -> Path:
    """Written with XlsxWriter's constant-memory mode to a temp file, which the route streams and deletes."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False, dir=directory)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("Overzicht")
    bold = workbook.add_format({"bold": True})
    for column, title in enumerate(_header(view)):
        sheet.write_string(0, column, title, bold)
    for number, row in enumerate(_rows(view), start=1):
        for column, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(number, column, value)
            else:
                # write_string: never a formula, whatever the text looks like.
                sheet.write_string(number, column, value)
    workbook.close()
    return path
