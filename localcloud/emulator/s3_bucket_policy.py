"""A bucket's policy judged as AWS judges it (``localcloud.emulator.policy_evaluation``).

moto 5.2.5 judges a bucket policy by itself (``FakeBucket.get_permission``, before any identity
check) with its own evaluator, which takes a condition it cannot evaluate as met: the state
bucket's ``DenyPlainHttp`` (``Bool aws:SecureTransport false``) then refused every object
request, the administrator's included, and no deploy could keep its state in the bucket. Here
the policy is evaluated with AWS's rules and the request's transport as AWS would see it: the
emulator stands for AWS's HTTPS endpoints (its own HTTP never leaves the machine), so
``aws:SecureTransport`` is true and ``s3:TlsVersion`` 1.3.

What is not known here (moto hands over the action and the object's ARN only): the caller, so a
statement's Principal is not matched, and the request's headers, so a condition on them
(``s3:x-amz-server-side-encryption``) is taken as its key being absent (docs/local-cloud.md).
"""

# moto's bucket has no hook for this: the patch book puts ``get_permission`` in its method's place.
from __future__ import annotations

from moto.iam.access_control import PermissionResult

from localcloud.emulator.policy_evaluation import Decision, evaluate

TRANSPORT = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
"""The request's transport, as AWS's HTTPS endpoints see a current client's."""
RESULTS = {
    Decision.DENY: PermissionResult.DENIED,
    Decision.ALLOW: PermissionResult.PERMITTED,
    Decision.NEUTRAL: PermissionResult.NEUTRAL,
}


def get_permission(self, action: str, resource: str) -> PermissionResult:
    """moto 5.2.5's ``FakeBucket.get_permission``, judged as AWS judges a bucket policy."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return RESULTS[evaluate([self.policy.decode()], action, resource, TRANSPORT)]
