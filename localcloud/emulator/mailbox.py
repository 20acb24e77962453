"""The mail that the emulator's SES kept: what the functions sent, for a developer to read
(``python -m localcloud mail``) and for the tests to wait on.

moto sends nothing: ``SendEmail`` (SES v1 and v2 alike, v2 goes through v1's backend) and
``SendRawEmail`` keep each message in their backend's ``sent_messages``, a list, oldest first,
with no time. Here each message is stamped as it is kept (``sentAt``, on the local clock,
``localcloud.emulator.clock``), and ``/localcloud-api/mail`` lists them newest first
(``?to=ADDRESS``: those to one recipient) as ``{"to", "subject", "body", "sentAt"}`` (``to``:
the recipients, comma-separated; also ``from`` and ``messageId``).
"""

from __future__ import annotations

import email
import email.policy
import json
import urllib.error
import urllib.parse
import urllib.request

from moto.ses.models import RawMessage, ses_backends

from localcloud.emulator.clock import CLOCK, iso
from localcloud.emulator.mail_client import PATH


def stamping(original):
    """moto's send (``original``), its kept message stamped with the local time."""

    def send(self, *args, **kwargs):
        message = original(self, *args, **kwargs)
        message.localcloud_sent_at = CLOCK.now()
        return message

    return send


def _recipients(destinations) -> list[str]:
    if isinstance(destinations, dict):
        return [
            a
            for key in ("ToAddresses", "CcAddresses", "BccAddresses")
            for a in destinations.get(key) or []
        ]
    return list(destinations or [])


def _shown(message) -> dict:
    """One kept message as the endpoint lists it."""
    subject, body = getattr(message, "subject", ""), getattr(message, "body", "")
    recipients = _recipients(message.destinations)
    if isinstance(message, RawMessage):
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        subject = str(parsed.get("Subject", ""))
        part = parsed.get_body(("plain", "html"))
        body = part.get_content() if part is not None else ""
        recipients = recipients or [str(a) for a in parsed.get_all("To", [])]
    sent_at = getattr(message, "localcloud_sent_at", None)
    return {
        "to": ", ".join(recipients),
        "from": message.source,
        "subject": subject or "",
        "body": body or "",
        "sentAt": iso(sent_at) if sent_at is not None else None,
        "messageId": message.id,
    }


def kept(to: str | None = None) -> list[dict]:
    """Every message SES kept (in every account and region), newest first; ``to``: only those
    to that address (case-insensitive)."""
    messages = [
        _shown(message)
        for regions in list(ses_backends.values())
        for backend in list(regions.values())
        for message in list(backend.sent_messages)
        if hasattr(message, "destinations")
    ]
    if to is not None:
        wanted = to.lower()
        messages = [m for m in messages if wanted in m["to"].lower().split(", ")]
    # Stable: messages kept in the same millisecond stay in the order they were sent, reversed.
    messages.reverse()
    messages.sort(key=lambda m: m["sentAt"] or "", reverse=True)
    return messages


class MailEndpoint:  # pylint: disable=too-few-public-methods
    """WSGI middleware: GET ``/localcloud-api/mail[?to=ADDRESS]``; the rest passes."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").rstrip("/") != PATH:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "GET":
            status, data = "405 Method Not Allowed", {"error": "GET only"}
        else:
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            status, data = "200 OK", {"messages": kept((query.get("to") or [None])[0])}
        body = json.dumps(data).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]
