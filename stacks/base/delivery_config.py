"""Configuration of the delivery stacks, typed and validated like the environment matrix.

Two stacks sit beside the environments, each once per AWS account:

- ``ecommerce-bootstrap`` creates the S3 bucket (and its KMS key) that holds every other stack's
  Terraform state. Its own state is a local file, since the bucket does not exist before it.
- ``ecommerce-account`` owns what is account-wide: API Gateway's CloudWatch role and account
  setting, GitHub's OIDC provider, and the roles CI assumes for each environment.

Overrides come from environment variables only (read by ``main.py``, passed in as a mapping):

- ``ECOMMERCE_STATE_BUCKET`` (and ``ECOMMERCE_STATE_REGION``): the state bucket. The bootstrap
  stack is built only when it is set, since the bucket has no sensible default name.
- ``ECOMMERCE_BOOTSTRAP_STATE``: where the bootstrap stack's local state file lives.
- ``ECOMMERCE_GITHUB_REPOSITORY``: ``owner/repo`` whose workflows may assume the CI roles; unset,
  the account stack holds no OIDC provider and no CI role.

A bad value raises ``ConfigError`` naming the field, which fails synth before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from stacks.base.config import (
    PROJECT,
    ConfigError,
    EnvironmentConfig,
    StateBackend,
    load,
)
from stacks.base.config_checks import _BUCKET, _REGION

BOOTSTRAP_STACK = f"{PROJECT}-bootstrap"
ACCOUNT_STACK = f"{PROJECT}-account"
# The state bucket's key, named by its alias wherever a stack's backend or a role refers to it.
STATE_KEY_ALIAS = f"alias/{PROJECT}-terraform-state"
DEFAULT_BOOTSTRAP_STATE = f"state/{BOOTSTRAP_STACK}.tfstate"
# The environments CI deploys; `local` lives on the emulator only.
CI_ENVIRONMENTS = ("dev", "staging", "prod")

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# SHA-1 fingerprints of the certificates GitHub's OIDC endpoint has presented. IAM verifies
# GitHub's tokens against its own trusted CAs and ignores these, but the API still stores them.
GITHUB_OIDC_THUMBPRINTS = (
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
)

# GitHub: owner (user or organization) 1..39 characters, repository 1..100.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# The `sub` claim's context after `repo:<owner>/<repo>:`, in GitHub's default format. Exact
# values only: a wildcard would widen the trust beyond what docs/delivery.md promises.
_SUBJECT = re.compile(
    r"^(environment:[A-Za-z0-9_.-]+|ref:refs/heads/[A-Za-z0-9_./-]+|pull_request)$"
)
_STATE_PATH = re.compile(r"^[^\0]+\.tfstate$")


class DeliveryConfigError(ConfigError):
    """A delivery stack's configuration value is invalid; the message names the field."""

    def __init__(self, stack: str, field_name: str, problem: str):
        super().__init__(stack, field_name, problem)
        # The stack, not an environment, is what the message names.
        self.args = (f"invalid configuration for stack '{stack}': {field_name} {problem}",)


class _AccountLevel:  # pylint: disable=too-few-public-methods
    """What the configurations of the two account-level stacks share: name and tags."""

    STACK: ClassVar[str]

    @property
    def stack_name(self) -> str:
        """Name of the TerraformStack."""
        return self.STACK

    @property
    def tags(self) -> dict[str, str]:
        """Tags that the provider's default tags put on every resource."""
        return {"project": PROJECT, "stack": self.STACK, "managed-by": "cdktf"}


@dataclass(frozen=True)
class BootstrapConfig(_AccountLevel):
    """The state bucket and its key: what ``ecommerce-bootstrap`` creates."""

    STACK: ClassVar[str] = BOOTSTRAP_STACK

    region: str
    bucket: str
    state_path: str = DEFAULT_BOOTSTRAP_STATE
    key_alias: str = STATE_KEY_ALIAS
    kms_deletion_window_days: int = 30
    # Old state versions are kept this long after they are replaced, and never fewer than
    # `noncurrent_versions_kept` of them, so a bad apply can always be rolled back. None: no
    # floor (the emulator forgets it, and the provider then waits for it until it times out).
    noncurrent_version_days: int = 90
    noncurrent_versions_kept: int | None = 10
    # Terraform refuses to plan the bucket's destruction; the emulator's run turns it off.
    prevent_destroy: bool = True

    def validate(self) -> BootstrapConfig:
        """Check every field; raise ``DeliveryConfigError`` naming the first bad one."""
        checks = (
            ("region", bool(_REGION.match(self.region)), "must look like 'us-east-1'"),
            ("bucket", bool(_BUCKET.match(self.bucket)), "must be a valid S3 bucket name"),
            ("state_path", bool(_STATE_PATH.match(self.state_path)), "must end in .tfstate"),
            (
                "key_alias",
                bool(re.fullmatch(r"alias/[A-Za-z0-9/_-]+", self.key_alias))
                and not self.key_alias.startswith("alias/aws/"),
                "must be 'alias/<name>' (not an AWS-reserved alias)",
            ),
            ("kms_deletion_window_days", 7 <= self.kms_deletion_window_days <= 30, "must be 7..30"),
            ("noncurrent_version_days", self.noncurrent_version_days >= 1, "must be at least 1"),
            (
                "noncurrent_versions_kept",
                self.noncurrent_versions_kept is None or 1 <= self.noncurrent_versions_kept <= 100,
                "must be 1..100 (S3's bound)",
            ),
        )
        _raise_first(self.stack_name, checks)
        return self


@dataclass(frozen=True)
class CiAccess:
    """Who in the repository may assume an environment's two CI roles.

    ``deploy`` may change the environment; ``plan`` may only read it (diff, drift check). Each
    is a tuple of `sub` claim contexts (``environment:prod``, ``ref:refs/heads/main``,
    ``pull_request``), matched exactly.
    """

    environment: str
    deploy_subjects: tuple[str, ...]
    plan_subjects: tuple[str, ...]
    # Only behind a GitHub environment or a branch may this environment's deploy role be assumed.
    protected: bool
    # The integration suite runs against it after each deploy and removes the data it made.
    integration_tests: bool = False


@dataclass(frozen=True)
class AccountConfig(_AccountLevel):  # pylint: disable=too-many-instance-attributes
    """Everything ``ecommerce-account`` needs; validated by ``validate``."""

    STACK: ClassVar[str] = ACCOUNT_STACK

    region: str
    # Environment configurations CI deploys (names, prefixes, regions, layers).
    environments: tuple[EnvironmentConfig, ...]
    state: StateBackend
    github_repository: str | None = None
    ci: tuple[CiAccess, ...] = ()
    state_bucket: str | None = None
    state_key_alias: str = STATE_KEY_ALIAS
    # API Gateway's account-wide CloudWatch role, set once here for every environment.
    manage_api_gateway_account: bool = True
    oidc_thumbprints: tuple[str, ...] = GITHUB_OIDC_THUMBPRINTS

    def environment(self, name: str) -> EnvironmentConfig:
        """The configuration of one environment CI deploys."""
        return next(e for e in self.environments if e.name == name)

    def validate(self) -> AccountConfig:
        """Check every field; raise ``DeliveryConfigError`` naming the first bad one."""
        stack = self.stack_name
        repository = self.github_repository
        checks = [
            ("region", bool(_REGION.match(self.region)), "must look like 'us-east-1'"),
            (
                "github_repository",
                repository is None or bool(_REPOSITORY.match(repository)),
                "must be 'owner/repo' as GitHub spells it (e.g. 'acme/store-api')",
            ),
            (
                "state_bucket",
                repository is None or self.state_bucket is not None,
                "must be set (ECOMMERCE_STATE_BUCKET) when github_repository is: CI keeps the "
                "environments' state there",
            ),
            (
                "state_bucket",
                self.state_bucket is None or bool(_BUCKET.match(self.state_bucket)),
                "must be a valid S3 bucket name",
            ),
            (
                "oidc_thumbprints",
                bool(self.oidc_thumbprints)
                and all(re.fullmatch(r"[0-9a-f]{40}", t) for t in self.oidc_thumbprints),
                "must be SHA-1 fingerprints (40 lower-case hex digits)",
            ),
        ]
        bounded = {e.name: e.permissions_boundary is not None for e in self.environments}
        for index, access in enumerate(self.ci):
            checks += _ci_checks(f"ci[{index}]", access, bounded)
        _raise_first(stack, checks)
        return self


def _ci_checks(
    where: str, access: CiAccess, bounded: dict[str, bool]
) -> list[tuple[str, bool, str]]:
    """(field, valid, problem) of one environment's CI access; ``bounded``: whether each
    environment CI deploys has a permissions boundary."""
    subjects = access.deploy_subjects + access.plan_subjects
    return [
        (
            f"{where}.environment",
            access.environment in bounded,
            f"must be one of {set(bounded)}",
        ),
        (
            f"{where}.environment",
            bounded.get(access.environment, True),
            f"'{access.environment}' must have a permissions_boundary: its deploy role "
            "gives the environment's roles permissions only under it",
        ),
        (f"{where}.deploy_subjects", bool(access.deploy_subjects), "must not be empty"),
        (f"{where}.plan_subjects", bool(access.plan_subjects), "must not be empty"),
        (
            f"{where}.subjects",
            all(_SUBJECT.match(s) for s in subjects),
            "must be 'environment:<name>', 'ref:refs/heads/<branch>' or 'pull_request' "
            "(exact values, no wildcards)",
        ),
        (
            f"{where}.deploy_subjects",
            not access.protected
            or all(
                s.startswith(("environment:", "ref:refs/heads/")) for s in access.deploy_subjects
            ),
            f"of the protected environment '{access.environment}' must be GitHub "
            "environments or branches, never pull requests",
        ),
    ]


def _raise_first(stack: str, checks) -> None:
    for name, ok, problem in checks:
        if not ok:
            raise DeliveryConfigError(stack, name, problem)


def default_ci(environments: tuple[str, ...] = CI_ENVIRONMENTS) -> tuple[CiAccess, ...]:
    """Each environment deploys from its GitHub environment (whose rules say which branch and
    who approves) and is read, for diffs and the drift check, by pull requests and by main."""
    return tuple(
        CiAccess(
            environment=name,
            deploy_subjects=(f"environment:{name}",),
            plan_subjects=("pull_request", "ref:refs/heads/main"),
            protected=name != "dev",
            integration_tests=name == "dev",
        )
        for name in environments
    )


def _state_region(env: Mapping[str, str]) -> str:
    return env.get("ECOMMERCE_STATE_REGION") or env.get("ECOMMERCE_REGION", "us-east-1")


def load_bootstrap(overrides: Mapping[str, str] | None = None) -> BootstrapConfig | None:
    """The bootstrap stack's configuration, or None when no state bucket is named."""
    env = overrides or {}
    bucket = env.get("ECOMMERCE_STATE_BUCKET")
    if not bucket:
        return None
    return BootstrapConfig(
        region=_state_region(env),
        bucket=bucket,
        state_path=env.get("ECOMMERCE_BOOTSTRAP_STATE") or DEFAULT_BOOTSTRAP_STATE,
    ).validate()


def load_account(overrides: Mapping[str, str] | None = None) -> AccountConfig:
    """The account stack's configuration, applying environment overrides."""
    env = overrides or {}
    environments = tuple(load(name, env) for name in CI_ENVIRONMENTS)
    bucket = env.get("ECOMMERCE_STATE_BUCKET") or None
    repository = env.get("ECOMMERCE_GITHUB_REPOSITORY") or None
    return AccountConfig(
        region=env.get("ECOMMERCE_REGION", "us-east-1"),
        environments=environments,
        state=StateBackend(bucket=bucket, region=_state_region(env) if bucket else None),
        github_repository=repository,
        ci=default_ci() if repository else (),
        state_bucket=bucket,
    ).validate()
