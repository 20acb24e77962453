"""``python -m localcloud mail [--to ADDRESS] [--json]`` on a running local cloud's emulator."""

from __future__ import annotations

import json
import uuid

from localcloud.base import aws
from localcloud.tools import cli

SENDER = "store@localcloud.test"


def _send(emulator, to: str, subject: str) -> None:
    ses = aws.session(aws.DEFAULT_REGION).client("sesv2", endpoint_url=emulator.url)
    ses.create_email_identity(EmailIdentity=SENDER)
    ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "hello"}}}},
    )


def test_mail_lists_the_kept_mail_as_json_and_as_text(emulator, tmp_path, capsys):
    ready = tmp_path / "ready.json"
    ready.write_text(json.dumps({"emulatorUrl": emulator.url}), encoding="utf-8")
    to = f"dee-{uuid.uuid4().hex[:6]}@example.com"
    _send(emulator, to, "first")
    _send(emulator, to, "second")
    assert cli.main(["mail", "--to", to, "--json", "--ready-file", str(ready)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["subject"] for m in listed] == ["second", "first"]
    assert set(listed[0]) == {"to", "subject", "body", "sentAt"} and listed[0]["to"] == to
    assert cli.main(["mail", "--to", to, "--ready-file", str(ready)]) == 0
    text = capsys.readouterr().out
    assert text.index("Subject: second") < text.index("Subject: first")
    assert f"to {to}" in text and "hello" in text
    assert cli.main(["mail", "--to", f"x{to}", "--ready-file", str(ready)]) == 0
    assert capsys.readouterr().out == "no mail\n"
