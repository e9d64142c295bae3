"""Service errors as the awsJson1_1 protocol sends them: ``{"__type": name, "Message": text}``."""

from __future__ import annotations

# The service answers these with HTTP 500; every other modelled error is a client error (400).
SERVER_ERRORS = frozenset({"InternalServerError", "ThrottlingException"})


class ServiceError(Exception):
    """An error the real service would return, by its modelled name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return 500 if self.code in SERVER_ERRORS else 400

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "Message": self.message}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)
