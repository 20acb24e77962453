"""The functions' roles, assumed as Lambda hands a session of one to each execution environment.

The gateway, as the Lambda service, assumes the role the function names (``AssumeRole`` on the
emulator, which checks the role's trust policy), so the emulator checks every call of the
handler against that role's policies.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.base import aws
from localcloud.lambdas.function_spec import FunctionSpec
from localcloud.lambdas.invoke_errors import InvokeFailed


class RoleSessions:  # pylint: disable=too-few-public-methods
    """Sessions of functions' roles, assumed on the emulator at ``endpoint_url`` by the gateway
    as the Lambda service."""

    def __init__(self, endpoint_url: str, region: str):
        session = aws.session(region, aws.LAMBDA_SERVICE_CREDENTIALS)
        self.sts = session.client("sts", endpoint_url=endpoint_url)

    def credentials(self, spec: FunctionSpec) -> dict[str, str]:
        """A fresh session of ``spec``'s role, as the variables Lambda sets; InvokeFailed (with
        what Lambda says) when the role cannot be assumed."""
        try:
            found = self.sts.assume_role(RoleArn=spec.role, RoleSessionName=spec.name)
        except (BotoCoreError, ClientError) as exc:
            raise InvokeFailed(
                f"The role defined for the function cannot be assumed by Lambda "
                f"({spec.role or 'no role'}: {exc})"
            ) from exc
        session = found["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
            "AWS_SESSION_TOKEN": session["SessionToken"],
        }
