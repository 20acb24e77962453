"""People of the deployed user pool, for the integration suite and the fuzz gate.

Users are created with Cognito's admin API and signed in with ADMIN_USER_PASSWORD_AUTH through
the stack's app client, which works the same on AWS and on the local cloud's emulator: the
suite needs no email inbox, no hosted UI and no client secret. Everything created is deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from handlers.store.spec.routes import ADMIN_GROUP
from localcloud.tools.users import generate_password


@dataclass(frozen=True)
class Person:
    """A signed-in user: address, ``sub`` (the API's user id), whether admin, ID token."""

    email: str
    sub: str
    admin: bool
    id_token: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        """The request header that signs a request in (the raw ID token, as API Gateway reads)."""
        return {"Authorization": self.id_token}


class UserPool:
    """Creates people in the stack's pool (``UserPoolId``, ``UserPoolClientId``); removes them."""

    def __init__(self, cognito: Any, pool_id: str, client_id: str, prefix: str = "it"):
        self.cognito = cognito
        self.pool_id = pool_id
        self.client_id = client_id
        self.prefix = prefix
        self.created: list[str] = []

    def person(self, admin: bool = False) -> Person:
        """A new user with a verified address and a permanent password, signed in."""
        # SES's mailbox simulator: a stage still in the SES sandbox may mail it unverified, and
        # it accepts and discards, so the suite's orders are mailed on AWS as on the local cloud.
        email = f"success+{self.prefix}-{uuid.uuid4().hex[:12]}@simulator.amazonses.com"
        # 24 characters of every class: the pool's policy (12+, lower, upper, digit) with room
        # to spare, and a symbol, which moto requires when the policy leaves RequireSymbols out.
        password = generate_password({})
        user = self.cognito.admin_create_user(
            UserPoolId=self.pool_id,
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
        )["User"]
        self.created.append(email)
        self.cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=email, Password=password, Permanent=True
        )
        if admin:
            self.cognito.admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=email, GroupName=ADMIN_GROUP
            )
        tokens = self.cognito.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
        return Person(email, sub, admin, tokens["IdToken"], tokens["AccessToken"])

    def delete_all(self) -> None:
        """Delete every user this object created."""
        while self.created:
            self.cognito.admin_delete_user(UserPoolId=self.pool_id, Username=self.created.pop())
