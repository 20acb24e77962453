"""The mail the emulator's SES kept: listed newest first, by recipient, stamped on the local
clock, from SES v1, v2 and raw sends alike."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.emulator.clock import ClockClient
from localcloud.emulator.mail_client import MailClient
from tests.arguments import spare_port

SENDER = "store@localcloud.test"


@pytest.fixture(scope="module")
def ses(emulator):
    """SES v1 and v2 clients of the administrator, the sender's identity verified."""
    session = aws.session(aws.DEFAULT_REGION)
    clients = {v: session.client(v, endpoint_url=emulator.url) for v in ("ses", "sesv2")}
    clients["sesv2"].create_email_identity(EmailIdentity=SENDER)
    return clients


def _at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_kept_mail_is_listed_newest_first_by_recipient(emulator, ses):
    ann, bob = (f"{n}-{uuid.uuid4().hex[:6]}@example.com" for n in ("ann", "bob"))
    ses["sesv2"].send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [ann]},
        Content={"Simple": {"Subject": {"Data": "placed"}, "Body": {"Text": {"Data": "one"}}}},
    )
    ses["ses"].send_email(
        Source=SENDER,
        Destination={"ToAddresses": [bob]},
        Message={"Subject": {"Data": "hello bob"}, "Body": {"Html": {"Data": "<p>hi</p>"}}},
    )
    raw = f"From: {SENDER}\nTo: {ann}\nSubject: shipped\n\nyour order left\n"
    ses["ses"].send_raw_email(RawMessage={"Data": raw})
    mail = MailClient(emulator.url)
    to_ann = mail.messages(ann.upper())
    assert [(m["subject"], m["body"].strip()) for m in to_ann] == [
        ("shipped", "your order left"),
        ("placed", "one"),
    ]
    assert to_ann[0]["to"] == ann and to_ann[0]["from"] == SENDER
    assert _at(to_ann[0]["sentAt"]) >= _at(to_ann[1]["sentAt"])
    assert [m["subject"] for m in mail.messages(bob)] == ["hello bob"]
    everyone = mail.messages()
    assert {ann, bob} <= {m["to"] for m in everyone}


def test_mail_is_stamped_on_the_local_clock(emulator, ses):
    to = f"cy-{uuid.uuid4().hex[:6]}@example.com"
    ClockClient(emulator.url).advance(86400)
    ses["sesv2"].send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "later"}, "Body": {"Text": {"Data": "x"}}}},
    )
    (message,) = MailClient(emulator.url).messages(to)
    now = ClockClient(emulator.url).read()["now"]
    assert 0 <= _at(now) - _at(message["sentAt"]) < 60


def test_a_missing_emulator_is_one_sentence():
    with pytest.raises(LocalCloudError, match="does not answer"):
        MailClient(f"http://127.0.0.1:{spare_port()}", timeout=2).messages()
