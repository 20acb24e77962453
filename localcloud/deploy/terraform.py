"""Terraform prerequisites: the CLI and its version, and where the AWS provider comes from.

With registry access Terraform downloads the provider once into a plugin cache in the user's
cache folder (``~/.cache/localcloud/terraform-plugins``) and links it from there afterwards,
unless the user's own configuration already names a cache. Without registry access, a Terraform
CLI configuration that installs providers from a filesystem mirror on the machine is written into
the project's throwaway folder, and ``TF_CLI_CONFIG_FILE`` points at it for the runner's Terraform
runs (a mirror is linked, never copied, so it needs no cache).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from localcloud.base.errors import LocalCloudError
from localcloud.base.output import shown
from localcloud.base.processes import printed

MIN_TERRAFORM = (1, 3, 0)
"""cdktf 0.21 and the hashicorp/aws 5.x provider need Terraform 1.3 or newer."""
REGISTRY_PROBE = "https://registry.terraform.io/.well-known/terraform.json"
PROVIDER = ("registry.terraform.io", "hashicorp", "aws")
MIRROR_ENV = "LOCALCLOUD_PROVIDER_MIRROR"


def check_terraform(env: dict[str, str]) -> str:
    """Terraform's version, or a one-sentence error when it is missing or too old."""
    binary = shutil.which("terraform", path=env.get("PATH"))
    minimum = ".".join(map(str, MIN_TERRAFORM))
    if not binary:
        raise LocalCloudError(
            f"Terraform is not installed (no terraform on PATH); install Terraform {minimum} "
            "or newer, which CDK for Terraform needs."
        )
    answer = printed([binary, "version", "-json"], timeout=60, env=env)
    try:
        version = json.loads(answer or "")["terraform_version"]
    except (ValueError, KeyError, TypeError):
        raise LocalCloudError(
            f"Could not tell the version of {binary}; install Terraform {minimum} or newer."
        ) from None
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    if numbers < MIN_TERRAFORM:
        raise LocalCloudError(
            f"Terraform {version} is too old; the local cloud needs Terraform {minimum} or newer."
        )
    return version


def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether Terraform's public registry answers within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(REGISTRY_PROBE, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"{platform.system().lower()}_{arch}"


def mirror_versions(mirror: Path) -> list[str]:
    """Versions of hashicorp/aws for this platform in a filesystem mirror (either layout)."""
    base = mirror.joinpath(*PROVIDER)
    if not base.is_dir():
        return []
    found = set()
    target = _platform()
    for entry in base.iterdir():
        if entry.is_dir() and any(entry.joinpath(target).glob("terraform-provider-aws*")):
            found.add(entry.name)  # unpacked layout: VERSION/OS_ARCH/terraform-provider-aws_*
        match = re.fullmatch(rf"terraform-provider-aws_(.+)_{target}\.zip", entry.name)
        if entry.is_file() and match:
            found.add(match.group(1))  # packed layout
    return sorted(found)


def mirror_candidates(env: dict[str, str]) -> list[Path]:
    """Where a filesystem mirror of providers may be, in the order they are tried."""
    if env.get(MIRROR_ENV):
        return [Path(env[MIRROR_ENV])]
    home = Path(env.get("HOME") or Path.home())
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    return [
        Path("/opt/tf-plugins"),
        home / ".terraform.d" / "plugins",
        data_home / "terraform" / "plugins",
        *(Path(d) / "terraform" / "plugins" for d in data_dirs if d),
    ]


def find_mirror(env: dict[str, str]) -> Path | None:
    """The first mirror that holds hashicorp/aws for this platform."""
    for candidate in mirror_candidates(env):
        if mirror_versions(candidate):
            return candidate
    return None


def user_configures_installation(env: dict[str, str]) -> bool:
    """Whether the user's own Terraform CLI configuration already says where providers come from."""
    configured = env.get("TF_CLI_CONFIG_FILE")
    home = Path(env.get("HOME") or Path.home())
    for path in [Path(configured)] if configured else [home / ".terraformrc"]:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if "provider_installation" in text or "plugin_cache_dir" in text:
            return True
    return False


def write_cli_config(path: Path, mirror: Path) -> Path:
    """A Terraform CLI configuration that installs providers only from ``mirror``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by localcloud: Terraform cannot reach its registry here, so providers\n"
        "# come from the filesystem mirror below. Throwaway; rewritten on each start.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path = {json.dumps(str(mirror))}\n"
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    return path


def plugin_cache(env: dict[str, str]) -> Path:
    """The provider download cache shared by every run (and project) of this user."""
    home = Path(env.get("HOME") or Path.home())
    return Path(env.get("XDG_CACHE_HOME") or home / ".cache") / "localcloud" / "terraform-plugins"


def provider_setup(env: dict[str, str], config_path: Path, probe_timeout: float = 3.0):
    """Decide where Terraform gets providers; returns (env changes, a note for the user)."""
    if env.get("LOCALCLOUD_OFFLINE") != "1" and registry_reachable(probe_timeout):
        if env.get("TF_PLUGIN_CACHE_DIR") or user_configures_installation(env):
            return {}, "Terraform's registry is reachable; using your Terraform plugin settings."
        cache = plugin_cache(env)
        cache.mkdir(parents=True, exist_ok=True)
        # The cache is filled by Terraform from the registry; a stack synthesized afresh (no
        # lock file yet) may use it too, recording this platform's checksum only.
        changes = {
            "TF_PLUGIN_CACHE_DIR": str(cache),
            "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE": "true",
        }
        return changes, (
            "Terraform's registry is reachable: the AWS provider is downloaded once, "
            f"into {shown(cache)}"
        )
    if user_configures_installation(env):
        return {}, "Terraform's registry is unreachable; using your Terraform CLI configuration."
    mirror = find_mirror(env)
    if mirror is None:
        looked = ", ".join(str(p) for p in mirror_candidates(env))
        raise LocalCloudError(
            "The Terraform AWS provider is not installable: the Terraform registry is unreachable "
            f"and no filesystem mirror holds hashicorp/aws for {_platform()} (looked in {looked}); "
            f"set {MIRROR_ENV} to a mirror folder."
        )
    write_cli_config(config_path, mirror)
    versions = ", ".join(mirror_versions(mirror))
    note = (
        f"Terraform's registry is unreachable: the AWS provider comes from the mirror "
        f"{shown(mirror)} ({versions})"
    )
    return {"TF_CLI_CONFIG_FILE": str(config_path)}, note
