"""The customers' mail, as the integration suite and the bench see it.

Locally: the mail the emulator's SES kept (``localcloud.mailbox``), found by its recipient and
the order it names. On AWS nothing keeps a sent mail; the notifier's log says when it sent one,
naming the order (``mail sent``), so the suite finds it there.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime

from localcloud.emulator.mail_client import MailClient

LOCAL = bool(os.environ.get("AWS_ENDPOINT_URL"))
"""Whether the suite runs against the local cloud (its emulator is where boto3 goes)."""


def epoch(text: str) -> float:
    """An ISO 8601 UTC time (``...Z``) in seconds since the epoch."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class Mailbox:
    """The mail sent to the customers of the deployed stack."""

    logs: object
    """boto3's CloudWatch Logs client (AWS only)."""
    notifier_log_group: str

    def sent(self, address: str, order_id: str, since: float) -> list[dict]:
        """The mail about ``order_id`` sent to ``address`` (``since``: seconds since the epoch,
        before the order was placed), newest first: ``{subject, body, sentAt}`` (locally) or
        ``{message, sentAt}`` (a log line, on AWS)."""
        if LOCAL:
            kept = MailClient(os.environ["AWS_ENDPOINT_URL"]).messages(address)
            return [m for m in kept if order_id in m["body"]]
        found = self.logs.filter_log_events(
            logGroupName=self.notifier_log_group,
            startTime=int(since * 1000),
            filterPattern=f'"mail sent" "{order_id}"',
        ).get("events", [])
        return [{"message": e["message"], "sentAt": e["timestamp"] / 1000} for e in found][::-1]

    def wait_for(  # pylint: disable=too-many-arguments
        self, address: str, order_id: str, since: float, count: int = 1, within: float = 30.0
    ) -> list[dict]:
        """``sent(...)`` once it holds ``count`` mails; fails after ``within`` seconds."""
        deadline = time.monotonic() + within
        while True:
            found = self.sent(address, order_id, since)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} of {count} mails about order {order_id} within {within} s"
                )
            time.sleep(0.2)
