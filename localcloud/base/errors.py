"""Errors that the local cloud reports to its user as one sentence, never as a traceback."""


class LocalCloudError(Exception):
    """An expected failure, explained in one sentence (``str(error)``) for the user."""

    exit_code = 1


def described(exc: BaseException) -> dict[str, str]:
    """A log line's fields for ``exc``: its type and its words (a message alone can be empty,
    or the same for a timeout and a refusal)."""
    return {"errorType": type(exc).__name__, "error": str(exc)}
