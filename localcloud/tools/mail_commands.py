"""The mail the running local cloud's SES kept, from the command line
(``localcloud.emulator.mailbox``).

``python -m localcloud mail [--to ADDRESS] [--json]``: newest first; as text, one block per
message (when, to, subject, then the body); as JSON, a list of ``{to, subject, body, sentAt}``.
"""

from __future__ import annotations

import argparse
import json

from localcloud.base import arguments, command
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say_error
from localcloud.emulator.mail_client import MailClient
from localcloud.tools.fault_commands import emulator_url

COMMANDS = ("mail",)
"""First words of the command line that this module answers."""
USAGE = (
    "mail: `python -m localcloud mail [--to ADDRESS] [--json]` lists the mail the functions "
    "sent through the local SES, newest first."
)
FIELDS = ("to", "subject", "body", "sentAt")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options of ``mail``."""
    parser, commands = command.tool_parser(USAGE)
    mail = commands.add_parser(
        "mail", parents=[command.running_options()], help="the mail SES kept"
    )
    mail.add_argument("--to", type=arguments.email, help="only the mail to this address")
    mail.add_argument("--json", action="store_true", help="as a JSON list")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run ``mail``: the messages on stdout, or one sentence on stderr."""
    args = parse_args(argv)
    try:
        client = MailClient(emulator_url(args.project_dir.resolve(), args.ready_file))
        messages = [{k: m[k] for k in FIELDS} for m in client.messages(args.to)]
    except LocalCloudError as error:
        return say_error(error)
    print(json.dumps(messages, indent=2) if args.json else _text(messages), flush=True)
    return 0


def _text(messages: list[dict]) -> str:
    if not messages:
        return "no mail"
    blocks = [
        f"{m['sentAt']}  to {m['to']}\nSubject: {m['subject']}\n\n{m['body'].rstrip()}\n"
        for m in messages
    ]
    return "\n".join(blocks)
