"""SNS's Publish on the emulator refuses what SNS refuses: the wrapper of moto 5.2.5's
``SNSBackend.publish`` that the patch book (``localcloud.emulator.patches``) puts in place.

moto 5.2.5 took any subject up to 100 characters (line breaks, control characters, non-ASCII
included) and counted a message's characters, not its bytes. SNS's Publish reference says:

- **Subject**: ASCII text that begins with a letter, a number or a punctuation mark, with no
  line breaks or control characters, less than 100 characters long. A subject outside that is
  ``InvalidParameter`` (400) ``Invalid parameter: Subject``, and nothing is published. (moto's
  source notes that AWS has been seen to take exactly 100 characters; the reference says fewer,
  and the local cloud holds to the reference: the stricter reading costs nothing on AWS.)
- **Size**: the message and its attributes (names, types and values), at most 256 KB
  (262,144 bytes of UTF-8, not characters): beyond, ``Invalid parameter: Message too long``. An
  empty message is ``Invalid parameter: Empty message``.

PublishBatch is not checked here (the project does not use it).
"""

from __future__ import annotations

import string

from moto.sns.exceptions import SNSInvalidParameter

MAX_SUBJECT_CHARS = 99
"""Less than 100 characters."""
MAX_MESSAGE_BYTES = 262_144
_PRINTABLE = set(string.ascii_letters + string.digits + string.punctuation + " ")
_FIRST = set(string.ascii_letters + string.digits + string.punctuation)


def subject_problem(subject: str) -> str | None:
    """Why SNS refuses ``subject`` (None: it takes it)."""
    if not subject:
        return "it is empty"
    if len(subject) > MAX_SUBJECT_CHARS:
        return f"it has {len(subject)} characters (fewer than 100 allowed)"
    if subject[0] not in _FIRST:
        return "it does not begin with a letter, a number or a punctuation mark"
    wrong = next((c for c in subject if c not in _PRINTABLE), None)
    if wrong is not None:
        return f"it holds {wrong!r}, not printable ASCII (no line breaks or control characters)"
    return None


def message_bytes(message: str, attributes: dict | None) -> int:
    """The size SNS counts: the message's UTF-8 bytes and its attributes' names, types and
    values (moto's parsed form: ``{name: {"Type": ..., "Value": ...}}``)."""
    size = len(message.encode("utf-8"))
    for name, value in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(str(value.get("Type", "")).encode("utf-8"))
        size += len(str(value.get("Value", "")).encode("utf-8"))
    return size


def checked_as_sns(original):
    """moto's ``SNSBackend.publish`` (``original``), refusing first what SNS refuses."""

    def publish(self, message, arn, *args, **kwargs):
        subject = kwargs.get("subject", args[1] if len(args) > 1 else None)
        attributes = kwargs.get("message_attributes", args[2] if len(args) > 2 else None)
        if subject is not None and subject_problem(subject):
            raise SNSInvalidParameter("Invalid parameter: Subject")
        if not message:
            raise SNSInvalidParameter("Invalid parameter: Empty message")
        if message_bytes(message, attributes) > MAX_MESSAGE_BYTES:
            raise SNSInvalidParameter("Invalid parameter: Message too long")
        return original(self, message, arn, *args, **kwargs)

    return publish
