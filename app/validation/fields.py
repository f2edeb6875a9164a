"""One form field at a time: texts, dates, amounts and choices, checked the same way in every domain.

Each check returns the cleaned value or raises `InvalidInput` with the caller's Dutch message and `field=` (the
form field to blame). The caller owns the wording, so every page keeps its own sentence; this module owns the
rule. A form that shows all its errors at once gathers them with `Problems`.
"""

from collections.abc import Callable, Collection, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import ParamSpec, TypeVar

from app.errors import InvalidInput

P = ParamSpec("P")
T = TypeVar("T")

IN_THE_FUTURE = "De datum ligt in de toekomst."


class Problems:
    """The errors of one form, per field: each check that fails adds its message under its field, and the form
    goes on checking the others. A later failure of the same field replaces the earlier message."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, check: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
        """`check(*args, **kwargs)`, or None when it refused (its message is kept)."""
        try:
            return check(*args, **kwargs)
        except InvalidInput as exc:
            assert exc.field is not None, "a form's check names its field"
            self.errors[exc.field] = exc.message
            return None

    def add(self, field: str, message: str) -> None:
        self.errors[field] = message

    def __contains__(self, field: object) -> bool:
        return field in self.errors

    def __bool__(self) -> bool:
        return bool(self.errors)


def length_message(what: str, max_length: int) -> str:
    """The usual sentence: "De titel mag hoogstens 200 tekens lang zijn."."""
    return f"{what} mag hoogstens {max_length} tekens lang zijn."


def text(
    value: str,
    *,
    max_length: int,
    too_long: str,
    required: str | None = None,
    field: str | None = None,
    strip: bool = True,
) -> str:
    """The text without surrounding spaces; `required` is the message when it is empty (None: may be empty).
    With `strip=False` the text is measured and returned as typed."""
    cleaned = value.strip() if strip else value
    if required is not None and not value.strip():
        raise InvalidInput(required, field=field)
    if len(cleaned) > max_length:
        raise InvalidInput(too_long, field=field)
    return cleaned


def choice(value: str, *, options: Collection[str], message: str, field: str | None = None) -> str:
    if value not in options:
        raise InvalidInput(message, field=field)
    return value


def past_date(
    value: str, *, missing: str, future: str = IN_THE_FUTURE, today: date | None = None, field: str | None = None
) -> date:
    """An ISO date (jjjj-mm-dd, what a date input sends) that is not after `today`; `missing` when it is empty or
    not a date."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(missing, field=field) from None
    if day > (today or date.today()):
        raise InvalidInput(future, field=field)
    return day


def parse_decimal(value: str) -> Decimal:
    """'7,5' or '7.5' → Decimal('7.5'): a Dutch decimal comma or a point. ValueError for anything that is not a
    finite number, the empty text included."""
    text = value.strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def amount(value: str, *, invalid: str, field: str | None = None) -> Decimal:
    """A number that must be filled in (`invalid` when it is empty or not a number)."""
    try:
        return parse_decimal(value)
    except ValueError:
        raise InvalidInput(invalid, field=field) from None


def optional_amount(value: str, *, invalid: str, field: str | None = None) -> Decimal | None:
    """A number that may be left empty (None)."""
    return amount(value, invalid=invalid, field=field) if value.strip() else None


def within(
    value: Decimal | int,
    *,
    message: str,
    above: Decimal | int | None = None,
    at_least: Decimal | int | None = None,
    at_most: Decimal | int | None = None,
    field: str | None = None,
) -> None:
    """`message` unless `value` is above `above`, at least `at_least` and at most `at_most` (each if given)."""
    if (
        (above is not None and value <= above)
        or (at_least is not None and value < at_least)
        or (at_most is not None and value > at_most)
    ):
        raise InvalidInput(message, field=field)


def multiple_of(value: Decimal, *, step: Decimal, message: str, field: str | None = None) -> None:
    """`message` unless `value` is a whole number of `step`s (hours in quarters: 0,25)."""
    if value % step != 0:
        raise InvalidInput(message, field=field)


def eindterm_codes(
    codes: Iterable[str], *, known: Collection[str] | None, shown: int | None = None, field: str = "eindtermen"
) -> None:
    """Every code names an eindterm of the framework (`known`; None: none can be checked, so none is known).
    The message lists the unknown ones in the given order, the first `shown` of them if set."""
    unknown = [c for c in codes if known is None or c not in known]
    if unknown:
        raise InvalidInput(f"Onbekende eindterm: {', '.join(unknown[:shown])}.", field=field)
