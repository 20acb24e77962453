"""The contract's errors: each carries its HTTP status, its code and the ``details`` list.

Raised anywhere below a route; the resolver's exception handler (``store.http.web``) turns them into
``{"error": {"code", "message", "details"}}`` responses with CORS headers.
"""

from typing import Any


def detail(field: str, message: str, **extra: Any) -> dict[str, Any]:
    """One entry of an error's ``details``: which field was wrong and why."""
    return {"field": field, "message": message, **extra}


class ApiError(Exception):
    """An error the client caused or can act upon; ``INTERNAL`` is never raised this way."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequest(ApiError):
    """Malformed JSON, wrong types, out-of-range values."""


class Unauthorized(ApiError):
    """The route needs a signed-in caller and the request carries none.

    API Gateway refuses such requests before any function runs; a function only raises this if
    it is ever invoked without the authorizer's claims (defence in depth).
    """

    status = 401
    code = "UNAUTHORIZED"


class Forbidden(ApiError):
    """The caller is signed in, but its role may not do this."""

    status = 403
    code = "FORBIDDEN"


class NotFound(ApiError):
    """The addressed resource does not exist."""

    status = 404
    code = "NOT_FOUND"


class Conflict(ApiError):
    """The request collides with the current state (stock, email, status, a concurrent write)."""

    status = 409
    code = "CONFLICT"


class PayloadTooLarge(ApiError):
    """The body is over the 64 KiB the API accepts."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"


class Unprocessable(ApiError):
    """Well-formed, but refers to something that does not exist or cannot apply."""

    status = 422
    code = "UNPROCESSABLE"


class ServiceUnavailable(ApiError):
    """AWS kept failing (throttling, a 5xx, a timeout, transactions that kept conflicting)
    after the function's own retries: nothing was written; retry after ``retry_after`` s."""

    status = 503
    code = "SERVICE_UNAVAILABLE"
    retry_after = 1
