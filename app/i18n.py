"""Dutch is the source language (msgids are Dutch); other languages come from `.po` catalogs.

Catalogs are read with Babel at start-up, so there is no compile step to forget.
"""

from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@lru_cache
def translations(locale: str) -> NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Marks a message for extraction without translating it here: it is translated when shown."""
    return message


class Lazy:
    """A message translated when it is shown, not when it is made.

    A route runs in a worker thread before the page's locale is known to it (the locale is set where the page
    renders), so a notice translated in the route came out Dutch on an English page. The route stores a `Lazy`;
    the template's `str()` translates it in the page's locale."""

    __slots__ = ("n", "params", "plural", "singular")

    def __init__(self, singular: str, plural: str | None, n: int | None, params: dict[str, object]) -> None:
        self.singular, self.plural, self.n, self.params = singular, plural, n, params

    def __str__(self) -> str:
        if self.plural is not None and self.n is not None:
            text = ngettext(self.singular, self.plural, self.n)
            return text % {"num": self.n, **self.params}
        text = gettext(self.singular)
        return text % self.params if self.params else text

    def __repr__(self) -> str:
        return f"Lazy({self.singular!r})"


def lazy(message: str, **params: object) -> Lazy:
    return Lazy(message, None, None, params)


def lazy_n(singular: str, plural: str, n: int, **params: object) -> Lazy:
    """`%(num)d` in the message is `n`."""
    return Lazy(singular, plural, n, params)
