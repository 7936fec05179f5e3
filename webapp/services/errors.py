"""Errors a service raises; views turn each into one clear message and status code."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, **extra) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """Someone else changed the task or instance first."""

    status = 409


class Invalid(ServiceError):
    """Submitted data does not satisfy the form; ``errors`` maps each field to its message."""

    status = 422

    def __init__(self, message: str, errors: dict[str, str]) -> None:
        super().__init__(message, errors=errors)
        self.errors = errors


class TooLarge(Invalid):
    """Submitted data is larger than a submission may be; shown like an invalid form."""

    status = 413
