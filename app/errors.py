"""Domain errors carry their HTTP status and a Dutch message; one handler renders them."""

from typing import Any

from app.i18n import N_


class DomainError(Exception):
    status_code = 400
    default_message = N_("Er ging iets mis.")

    def __init__(self, message: str | None = None, *, details: list[Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details or []
        super().__init__(self.message)


class NotFound(DomainError):
    # Also what a user gets for an object they may not see: existence is not revealed.
    status_code = 404
    default_message = N_("Niet gevonden.")


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
