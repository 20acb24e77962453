"""The mail the emulator's SES kept, as the tools and the tests ask for it over HTTP: no moto here,
so a command that lists mail starts without loading the emulator's code."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from localcloud.base.errors import LocalCloudError

PATH = "/localcloud-api/mail"
"""Where the emulator serves the mail it kept (``localcloud.emulator.mailbox``)."""


class MailClient:  # pylint: disable=too-few-public-methods
    """The mail kept by the emulator at ``endpoint_url``."""

    def __init__(self, endpoint_url: str, timeout: float = 5.0):
        self.url = endpoint_url.rstrip("/") + PATH
        self.timeout = timeout

    def messages(self, to: str | None = None) -> list[dict]:
        """Newest first; ``to``: only those to that address."""
        url = self.url + ("?" + urllib.parse.urlencode({"to": to}) if to else "")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return json.loads(response.read())["messages"]
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            raise LocalCloudError(
                f"The local cloud's emulator does not answer at {self.url}."
            ) from None
