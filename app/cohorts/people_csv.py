"""The people file as a student information system exports it: parsed and checked row by row, nothing written."""

import csv
import io
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from app.accounts.models import Role
from app.errors import InvalidInput

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000
IMPORTABLE_ROLES = {
    "student": Role.student,
    "praktijkbegeleider": Role.praktijkbegeleider,
    "werkbegeleider": Role.praktijkbegeleider,
    "supervisor": Role.praktijkbegeleider,
    "beoordelaar": Role.beoordelaar,
    "assessor": Role.beoordelaar,
}
# Header names as student information systems spell them, Dutch and English.
HEADER_ALIASES = {
    "naam": "name",
    "name": "name",
    "volledige naam": "name",
    "e-mail": "email",
    "email": "email",
    "e-mailadres": "email",
    "emailadres": "email",
    "mail": "email",
    "rol": "role",
    "role": "role",
    "studentnummer": "student_number",
    "student number": "student_number",
    "student_number": "student_number",
    "eduperson_principal_name": "principal_name",
    "edupersonprincipalname": "principal_name",
    "eppn": "principal_name",
    "principal_name": "principal_name",
    "organisatie": "organisation",
    "werkplek": "organisation",
    "organisatie/werkplek": "organisation",
    "organisation": "organisation",
    "workplace": "organisation",
    "stagebedrijf": "organisation",
    "praktijkbegeleider": "supervisor",
    "supervisor": "supervisor",
    "praktijkbegeleider e-mail": "supervisor",
    "beoordelaar": "assessor",
    "assessor": "assessor",
    "beoordelaar e-mail": "assessor",
}
REQUIRED_COLUMNS = ("name", "email", "role")
# The column sizes in the database (PostgreSQL refuses longer values instead of storing them).
MAX_NAME_LENGTH = 200
MAX_STUDENT_NUMBER_LENGTH = 50
MAX_ORGANISATION_LENGTH = 200
MAX_PRINCIPAL_NAME_LENGTH = 255
# eduPersonPrincipalName: user@domain (the institution's scope), one @, no spaces.
_PRINCIPAL_NAME = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    role: Role
    student_number: str | None
    principal_name: str | None
    organisation: str | None
    supervisor: str | None
    assessor: str | None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows still saves CSV as Windows-1252.
        return data.decode("cp1252", errors="replace")


def parse_people_csv(data: bytes) -> list[ImportRow]:
    """Parse and check every row; raise one InvalidInput listing every problem, row by row."""
    if not data.strip():
        raise InvalidInput("Het bestand is leeg.")
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"Het bestand is groter dan {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    text = _decode(data)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise InvalidInput("Het bestand heeft geen kopregel.") from None
    columns = [HEADER_ALIASES.get(h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        names = {"name": "naam", "email": "e-mail", "role": "rol"}
        raise InvalidInput(
            f"De kopregel mist verplichte kolommen: {', '.join(names[m] for m in missing)}.",
            details=[f"Gevonden kolommen: {', '.join(h.strip() for h in header)}"],
        )
    errors: list[str] = []
    rows: list[ImportRow] = []
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    seen_principals: dict[str, int] = {}
    try:
        for line_no, raw in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise InvalidInput(f"Het bestand heeft meer dan {MAX_IMPORT_ROWS} rijen.")
            values = {c: raw[i].strip() for i, c in enumerate(columns) if c and i < len(raw)}
            problems: list[str] = []
            name = values.get("name", "")
            if not name:
                problems.append("naam ontbreekt")
            elif len(name) > MAX_NAME_LENGTH:
                problems.append(f"naam is langer dan {MAX_NAME_LENGTH} tekens")
            email = values.get("email", "").lower()
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                problems.append(f"e-mailadres '{values.get('email', '')}' is ongeldig")
            role = IMPORTABLE_ROLES.get(values.get("role", "").lower())
            if role is None:
                problems.append(
                    f"rol '{values.get('role', '')}' is onbekend (gebruik student, praktijkbegeleider of beoordelaar)"
                )
            number = values.get("student_number") or None
            if role is Role.student and not number:
                problems.append("studentnummer ontbreekt")
            if number and len(number) > MAX_STUDENT_NUMBER_LENGTH:
                problems.append(f"studentnummer is langer dan {MAX_STUDENT_NUMBER_LENGTH} tekens")
            principal = values.get("principal_name", "").lower() or None
            if principal and (len(principal) > MAX_PRINCIPAL_NAME_LENGTH or not _PRINCIPAL_NAME.fullmatch(principal)):
                problems.append(
                    f"eduPersonPrincipalName '{values.get('principal_name', '')}' is ongeldig (verwacht naam@domein, "
                    f"ten hoogste {MAX_PRINCIPAL_NAME_LENGTH} tekens)"
                )
            elif principal:
                if principal in seen_principals:
                    problems.append(f"eduPersonPrincipalName {principal} staat ook op rij {seen_principals[principal]}")
                seen_principals.setdefault(principal, line_no)
            if len(values.get("organisation", "")) > MAX_ORGANISATION_LENGTH:
                problems.append(f"organisatie/werkplek is langer dan {MAX_ORGANISATION_LENGTH} tekens")
            if email in seen_emails:
                problems.append(f"e-mailadres {email} staat ook op rij {seen_emails[email]}")
            if number and role is Role.student:
                if number in seen_numbers:
                    problems.append(f"studentnummer {number} staat ook op rij {seen_numbers[number]}")
                seen_numbers.setdefault(number, line_no)
            seen_emails.setdefault(email, line_no)
            if problems:
                errors.append(f"Rij {line_no}: " + "; ".join(problems) + ".")
                continue
            assert role is not None
            rows.append(
                ImportRow(
                    line=line_no,
                    name=name,
                    email=email,
                    role=role,
                    student_number=number if role is Role.student else None,
                    principal_name=principal,
                    organisation=values.get("organisation") or None,
                    supervisor=(values.get("supervisor") or "").lower() or None,
                    assessor=(values.get("assessor") or "").lower() or None,
                )
            )
    except csv.Error as exc:
        raise InvalidInput(f"Het bestand is geen geldige CSV: {exc}.") from None
    if errors:
        raise InvalidInput("Er is niets geïmporteerd: los eerst deze fouten op.", details=errors)
    if not rows:
        raise InvalidInput("Het bestand bevat geen personen.")
    return rows
