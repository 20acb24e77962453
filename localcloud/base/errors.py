"""Errors that the local cloud reports to its user as one sentence, never as a traceback."""


class LocalCloudError(Exception):
    """An expected failure, explained in one sentence (``str(error)``) for the user."""

    exit_code = 1
