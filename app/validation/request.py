"""What FastAPI's request validation found, said in the user's words.

A path parameter that does not fit (an id that is too large, a word where a number belongs) names no page: the
caller answers 404, as for any id that does not exist. Any other field gets one line: its Dutch label (or, for
a JSON field we have no label for, its name, which an API client knows) and what is wrong with it.
"""

from collections.abc import Sequence
from typing import Any

from app.i18n import N_, gettext

LABELS = {
    "body": N_("de invoer"),
    "date": N_("datum"),
    "hours": N_("uren"),
    "activity": N_("activiteit"),
    "workplace": N_("werkplek"),
    "eindtermen": N_("eindtermen"),
    "clients": N_("cliëntcodes"),
    "replaces_id": N_("de regel die dit corrigeert"),
    "page": N_("pagina"),
    "size": N_("aantal per pagina"),
    "pagina": N_("pagina"),
    "score": N_("score"),
    "feedback": N_("feedback"),
    "decision": N_("besluit"),
    "comment": N_("toelichting"),
    "email": N_("e-mailadres"),
    "password": N_("wachtwoord"),
    "name": N_("naam"),
    "file": N_("bestand"),
}

PROBLEMS = {
    "missing": N_("ontbreekt"),
    "int_parsing": N_("moet een geheel getal zijn"),
    "int_type": N_("moet een geheel getal zijn"),
    "int_from_float": N_("moet een geheel getal zijn"),
    "greater_than_equal": N_("is te klein"),
    "greater_than": N_("is te klein"),
    "less_than_equal": N_("is te groot"),
    "less_than": N_("is te groot"),
    "string_type": N_("moet tekst zijn"),
    "list_type": N_("moet een lijst zijn"),
    "bool_parsing": N_("moet ja of nee zijn"),
    "json_invalid": N_("is geen geldige JSON"),
    "model_attributes_type": N_("moet een JSON-object zijn"),
    "dict_type": N_("moet een JSON-object zijn"),
    "string_too_long": N_("is te lang"),
}


def in_path(errors: Sequence[Any]) -> bool:
    return any(tuple(error.get("loc", ()))[:1] == ("path",) for error in errors)


def problems(errors: Sequence[Any]) -> list[str]:
    """One Dutch line per field, in the language of the request (the caller has set it)."""
    lines: list[str] = []
    for error in errors:
        location = [str(part) for part in tuple(error.get("loc", ()))[1:] if not isinstance(part, int)]
        field = location[-1] if location else "body"
        label = gettext(LABELS[field]) if field in LABELS else field
        problem = gettext(PROBLEMS.get(str(error.get("type", "")), N_("is niet geldig")))
        line = f"{label}: {problem}"
        if line not in lines:
            lines.append(line)
    return lines
