"""Domain errors carry their HTTP status and a Dutch message; one handler renders them."""

from typing import Any

from pydantic import BaseModel

from app.i18n import N_


class DomainError(Exception):
    status_code = 400
    default_message = N_("Er ging iets mis.")

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[Any] | None = None,
        params: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or []
        # Filled into the translated message when shown ("%(date)s"); dates in the page's language.
        self.params = params or {}
        # The form field to blame (its `name`), if one is: the page marks it and puts the message next to it.
        self.field = field
        super().__init__(self.message)


class NotFound(DomainError):
    # Also what a user gets for an object they may not see: existence is not revealed.
    status_code = 404
    default_message = N_("Niet gevonden.")


class Gone(DomainError):
    # Something the user could see is deliberately removed (retention, erasure): said so, not "not found".
    status_code = 410
    default_message = N_("Dit is verwijderd.")


class NotAuthenticated(DomainError):
    status_code = 401
    default_message = N_("Log eerst in.")


class Forbidden(DomainError):
    status_code = 403
    default_message = N_("Dit mag u niet doen.")


class Conflict(DomainError):
    status_code = 409
    default_message = N_("Iemand anders heeft dit intussen gewijzigd.")


class InvalidInput(DomainError):
    status_code = 422
    default_message = N_("De invoer is niet geldig.")


class TooManyRequests(DomainError):
    status_code = 429
    default_message = N_("Te veel pogingen. Probeer het later opnieuw.")


class StorageUnavailable(DomainError):
    # The object store is briefly unreachable (app.storage.s3): the request wrote nothing, so trying again is safe.
    status_code = 503
    default_message = N_(
        "De opslag is tijdelijk niet bereikbaar. Uw gegevens zijn niet verloren; probeer het zo opnieuw."
    )


class BlobMissing(DomainError):
    # A file row whose bytes are gone from the store (a restore without the files, an operator's mistake): the
    # person sees what happened instead of an error page; `storage check` lists every such row for the beheerder.
    status_code = 404
    default_message = N_(
        "Dit bestand ontbreekt in de opslag en kan niet worden getoond. Meld het aan de beheerder van het portfolio."
    )


class ErrorBody(BaseModel):
    """The JSON body of every /api/v1 error (app.main's handlers): a message and, where useful, the details
    (a list of problems, or for a bewijsstuk's form the message per field) and, when one input is to blame, its name."""

    detail: str
    errors: list[str] | dict[str, str]
    field: str | None = None


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all with ErrorBody."""
    return {status: {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[status]} for status in statuses}


_ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Refused (missing or wrong CSRF token, or not allowed)",
    404: "Not found, or not visible to the signed-in user",
    409: "Conflict with the current state",
    410: "Removed (a file deleted after its retention period or on an erasure request)",
    413: "Upload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    503: "A service the app depends on (database, object storage) is briefly unreachable; try again",
}

# What any /api/v1 route can answer: sign-in, CSRF and scope are checked for every one, and input is validated.
ERROR_RESPONSES = error_responses(401, 403, 404, 422)
