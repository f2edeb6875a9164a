"""The units praktijkuren are counted in: ISO weeks ("2026-W47"), months ("2026-11") and hours to the cent."""

import re
from datetime import date
from decimal import Decimal

from app.errors import InvalidInput
from app.i18n import N_

ZERO = Decimal("0.00")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def parse_week(value: str) -> tuple[int, int]:
    match = WEEK_RE.fullmatch(value.strip())
    if match is None:
        raise InvalidInput(N_("Kies een week (jjjj-Wnn)."))
    year, week = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 9998:  # the week after 9999-W52 is past date.max: nothing to look up there anyway
        raise InvalidInput(N_("Kies een week (jjjj-Wnn)."))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidInput(N_("Kies een week (jjjj-Wnn).")) from None
    return year, week


def week_number(key: str) -> int:
    return int(key.rsplit("W", 1)[1])
