"""People of the running local cloud's user pool, and their ID tokens.

- ``python -m localcloud user add EMAIL [--admin]``: create the user (in the ``admins`` group
  with ``--admin``) with a generated password that satisfies the pool's policy; print an ID token.
- ``python -m localcloud token EMAIL``: print a fresh ID token for an existing user.

The pool and its app client are the running local cloud's ``UserPoolId`` and ``UserPoolClientId``
outputs (the outputs file named in ``.localcloud/ready.json``). Only the token goes to stdout, so
``export TOKEN=$(python -m localcloud token ann@example.com)`` works. A token is got as on AWS
with the admin API: the password is set (again) with AdminSetUserPassword and used once with
AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH); nobody needs to know it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.store.spec.routes import ADMIN_GROUP
from localcloud.base import arguments, aws, command
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say_error
from localcloud.base.run_files import RunFiles

COMMANDS = ("user", "token")
"""First words of the command line that this module answers."""
SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-"
"""Symbols Cognito counts as special characters (a subset without quotes and backslash)."""
USAGE = (
    "people: `python -m localcloud user add EMAIL [--admin]` creates a user of the running "
    "local cloud's user pool and prints an ID token; `python -m localcloud token EMAIL` prints "
    "a fresh one."
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options of ``user add`` and ``token``."""
    common = command.running_options()
    parser, commands = command.tool_parser(USAGE)
    user = commands.add_parser("user", help="manage users of the local user pool")
    actions = user.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", parents=[common], help="create a user and print an ID token for them"
    )
    add.add_argument(
        "email", type=arguments.email, help="the user's email address (they sign in with it)"
    )
    add.add_argument("--admin", action="store_true", help=f"put the user in group {ADMIN_GROUP}")
    token = commands.add_parser(
        "token", parents=[common], help="print a fresh ID token for an existing user"
    )
    token.add_argument("email", type=arguments.email, help="the user's email address")
    return parser.parse_args(argv)


def generate_password(policy: dict) -> str:
    """A random password that satisfies a Cognito password policy: at least its minimum length,
    and always an upper- and a lower-case letter, a digit and a symbol (every policy accepts them;
    moto requires a symbol when the policy leaves RequireSymbols out, as Terraform does when
    it is false)."""
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)
    length = max(int(policy.get("MinimumLength") or 8), 24)
    picked = [secrets.choice(chars) for chars in classes]
    picked += [secrets.choice("".join(classes)) for _ in range(length - len(picked))]
    secrets.SystemRandom().shuffle(picked)
    return "".join(picked)


@dataclass
class LocalPool:
    """The running local cloud's user pool and app client."""

    pool_id: str
    client_id: str
    idp: Any
    """A cognito-idp client of the emulator."""

    @classmethod
    def of_running(cls, root: Path, ready_file: Path | None = None) -> LocalPool:
        """The pool of the local cloud that runs in project ``root``."""
        ready_path = RunFiles(root, ready_file).ready_file
        try:
            ready = RunFiles.read_json(ready_path)
            emulator = ready["emulatorUrl"]
            outputs_path = Path(ready["flatOutputsFile"])
        except (OSError, ValueError, KeyError, TypeError):
            raise LocalCloudError(
                f"The local cloud is not running here (no {ready_path}); start it with "
                "`python -m localcloud`."
            ) from None
        try:
            outputs = json.loads(outputs_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise LocalCloudError(
                f"The running local cloud's outputs file {outputs_path} cannot be read."
            ) from None
        missing = [k for k in ("UserPoolId", "UserPoolClientId") if not outputs.get(k)]
        if missing:
            raise LocalCloudError(
                f"The running local cloud has no user pool: its outputs ({outputs_path}) lack "
                f"{' and '.join(missing)}."
            )
        pool_id = outputs["UserPoolId"]
        session = aws.session(outputs.get("Region") or pool_id.split("_")[0])
        # botocore's Config here, not at the top: ``python -m localcloud`` reads this module to
        # dispatch its commands, and refuses a wrong command line before botocore's imports.
        # pylint: disable-next=import-outside-toplevel
        from botocore.config import Config  # noqa: PLC0415

        config = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=30)
        idp = session.client("cognito-idp", endpoint_url=emulator, config=config)
        return cls(pool_id, outputs["UserPoolClientId"], idp)

    def call(self, operation: str, **params) -> dict:
        """One cognito-idp call; a failure becomes a one-sentence LocalCloudError."""
        try:
            return getattr(self.idp, operation)(**params)
        except ClientError as exc:
            raise _refusal(exc, params.get("Username")) from None
        except BotoCoreError:
            raise LocalCloudError(
                f"The local cloud is not running: its emulator at {self.idp.meta.endpoint_url} "
                "does not answer."
            ) from None

    def add(self, email: str, admin: bool) -> str:
        """Create ``email`` (in group admins when ``admin``); an ID token for them."""
        if admin:  # before creating anything: a refused command changes nothing
            self.call("get_group", UserPoolId=self.pool_id, GroupName=ADMIN_GROUP)
        self.call(
            "admin_create_user",
            UserPoolId=self.pool_id,
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        if admin:
            self.call(
                "admin_add_user_to_group",
                UserPoolId=self.pool_id,
                Username=email,
                GroupName=ADMIN_GROUP,
            )
        return self.token(email)

    def token(self, email: str) -> str:
        """A fresh ID token for ``email``."""
        policy = self.call("describe_user_pool", UserPoolId=self.pool_id)["UserPool"]
        password = generate_password((policy.get("Policies") or {}).get("PasswordPolicy") or {})
        self.call(
            "admin_set_user_password",
            UserPoolId=self.pool_id,
            Username=email,
            Password=password,
            Permanent=True,
        )
        parameters = {"USERNAME": email, "PASSWORD": password}
        client = self.call(
            "describe_user_pool_client", UserPoolId=self.pool_id, ClientId=self.client_id
        )["UserPoolClient"]
        if client.get("ClientSecret"):
            digest = hmac.new(
                client["ClientSecret"].encode(),
                (email + self.client_id).encode(),
                hashlib.sha256,
            ).digest()
            parameters["SECRET_HASH"] = base64.b64encode(digest).decode()
        result = self.call(
            "admin_initiate_auth",
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters=parameters,
        )
        token = (result.get("AuthenticationResult") or {}).get("IdToken")
        if not token:
            raise LocalCloudError(
                f"The pool asked {email} to answer a {result.get('ChallengeName')} challenge "
                "instead of signing in."
            )
        return token


def _refusal(exc: ClientError, email: str | None) -> LocalCloudError:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", "")
    if code == "UserNotFoundException":
        return LocalCloudError(
            f"There is no user {email} in the local user pool; create one with "
            f"`python -m localcloud user add {email}`."
        )
    if code == "UsernameExistsException":
        return LocalCloudError(
            f"The user {email} already exists in the local user pool; "
            f"`python -m localcloud token {email}` prints a token for them."
        )
    if code == "ResourceNotFoundException":
        return LocalCloudError(
            f"The local user pool lacks what the command needs ({message.rstrip('.')})."
        )
    return LocalCloudError(f"The local user pool refused: {message or code}".rstrip(".") + ".")


def main(argv: list[str]) -> int:
    """Run ``user add`` or ``token``: the ID token on stdout, or one sentence on stderr."""
    args = parse_args(argv)
    try:
        pool = LocalPool.of_running(args.project_dir.resolve(), args.ready_file)
        if args.command == "user":
            token = pool.add(args.email, args.admin)
            role = f" in group {ADMIN_GROUP}" if args.admin else ""
            print(f"localcloud: created {args.email}{role}", file=sys.stderr, flush=True)
        else:
            token = pool.token(args.email)
    except LocalCloudError as error:
        return say_error(error)
    print(token, flush=True)
    return 0
