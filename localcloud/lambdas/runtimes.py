"""The functions' Python, as Lambda provides it: one small environment per Lambda runtime, which
the local gateway's workers run the handlers on.

Lambda runs a ``python3.12`` function on CPython 3.12 with the boto3 and botocore the runtime
ships, and the Powertools layer adds Powertools. The project's own environment (``.venv``) is
Python 3.11 with the newest boto3; a handler that works there may not on Lambda. So the workers
run on ``.venv-lambda-3.12`` instead: a virtualenv of a Python 3.12 found on this machine (PATH,
then pyenv) holding exactly

- boto3 and botocore at ``RUNTIME_SDK``'s version. AWS no longer publishes the runtime's version
  (its Python page says to print ``boto3.__version__`` in a function; it is updated by AWS over
  time); the number is the one reported by functions on python3.12 and python3.13 in August
  2025 (both runtimes 1.38.36), the latest report we found;
- Powertools with the extras the stack's layer provides and the project uses, at the versions
  ``Pipfile.lock`` pins (the layer's release is that one: ``stacks/base/config.py``).

``python3 -m localcloud.lambdas.runtimes`` (plain Python 3, no packages: ``scripts/bootstrap.sh``
runs it
before any virtualenv exists) installs what differs and says nothing when all is in place; when no
Python of the runtime's version is on the machine, it says in one line what to install. It makes
the environment with uv when the Python running it has uv (the bootstrap installs it: seconds
instead of a minute or two), else with venv and pip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from localcloud import PROJECT_ROOT
from localcloud.base.processes import printed

RUNTIME_SDK = {"python3.12": "1.38.36"}
"""The boto3 and botocore release each supported runtime ships (see the module docstring)."""
POWERTOOLS = "aws-lambda-powertools"
LAYER_EXTRAS = ("tracer", "validation")
"""Powertools' extras the handlers need; the public layer bundles them."""
LAYER_DEPENDENCIES = ("aws-xray-sdk", "fastjsonschema", "wrapt", "jmespath", "typing-extensions")
"""Packages the layer brings with Powertools, pinned as ``Pipfile.lock`` pins them."""


class RuntimeUnavailable(Exception):
    """A runtime's environment cannot be made: one sentence saying what to do."""


def version_of(runtime: str) -> str:
    """``3.12`` for ``python3.12``; RuntimeUnavailable for a runtime with no local environment."""
    if runtime not in RUNTIME_SDK:
        supported = ", ".join(RUNTIME_SDK)
        raise RuntimeUnavailable(
            f"The local cloud runs no {runtime or 'unnamed'} runtime ({supported})."
        )
    return runtime.removeprefix("python")


def environment_dir(runtime: str, root: Path = PROJECT_ROOT) -> Path:
    """Where the runtime's environment lives in the project: ``.venv-lambda-3.12``."""
    return Path(root) / f".venv-lambda-{version_of(runtime)}"


def interpreter(runtime: str, root: Path = PROJECT_ROOT) -> Path:
    """The Python the workers of a ``runtime`` function run on (it may not be installed)."""
    return environment_dir(runtime, root) / "bin" / "python"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(runtime: str, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Package name -> version of the runtime's environment."""
    sdk = RUNTIME_SDK[runtime]
    lock = json.loads((Path(root) / "Pipfile.lock").read_text(encoding="utf-8"))["default"]
    pinned = {
        _normalized(name): entry["version"].removeprefix("==") for name, entry in lock.items()
    }
    wanted = {"boto3": sdk, "botocore": sdk, POWERTOOLS: pinned[POWERTOOLS]}
    wanted |= {name: pinned[name] for name in LAYER_DEPENDENCIES}
    return wanted


def difference(runtime: str, root: Path = PROJECT_ROOT) -> str | None:
    """The first thing the runtime's environment lacks or holds at another version; None when
    it is as ``requirements`` says."""
    site = sorted((environment_dir(runtime, root) / "lib").glob("python*/site-packages"))
    if not interpreter(runtime, root).exists() or not site:
        return f"there is no {environment_dir(runtime, root).name}"
    if site[0].parent.name != f"python{version_of(runtime)}":
        return f"{environment_dir(runtime, root).name} is not {runtime}"
    installed = {
        _normalized(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions(path=[str(site[0])])
        if dist.metadata["Name"]
    }
    for name, version in requirements(runtime, root).items():
        if installed.get(name) != version:
            return f"{name} {installed.get(name) or 'missing'} ({runtime} wants {version})"
    return None


def _reports(candidate: str, version: str) -> bool:
    """Whether ``candidate`` runs and is Python ``version`` (a pyenv shim may not be)."""
    answer = printed(
        [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=30
    )
    return answer is not None and answer.strip() == version


def find_python(runtime: str, env=None) -> str | None:
    """A Python of the runtime's version on this machine: ``python3.12`` on PATH, else the
    newest pyenv ``3.12.*``; None when there is none (``env``: the environment, by default
    the process's)."""
    env = os.environ if env is None else env
    version = version_of(runtime)
    candidates = [shutil.which(f"python{version}", path=env.get("PATH"))]
    pyenv = Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")
    installed = sorted(
        (pyenv / "versions").glob(f"{version}.*/bin/python{version}"),
        key=lambda path: [int(p) for p in re.findall(r"\d+", path.parent.parent.name)],
        reverse=True,
    )
    candidates += [str(path) for path in installed]
    return next((c for c in candidates if c and _reports(c, version)), None)


def install(runtime: str, root: Path = PROJECT_ROOT, env=None) -> None:
    """Make the runtime's environment anew with what ``requirements`` lists."""
    version = version_of(runtime)
    python = find_python(runtime, env)
    if python is None:
        raise RuntimeUnavailable(
            f"The functions run on {runtime} and there is no Python {version} on this machine: "
            f"install it (e.g. `pyenv install {version}`, or your system's python{version} "
            f"and python{version}-venv packages), then run scripts/bootstrap.sh again."
        )
    target = environment_dir(runtime, root)
    wanted = requirements(runtime, root)
    specs = [f"{name}=={version}" for name, version in wanted.items() if name != POWERTOOLS]
    specs.append(f"{POWERTOOLS}[{','.join(LAYER_EXTRAS)}]=={wanted[POWERTOOLS]}")
    uv = uv_command()
    if uv:  # the same environment, made and filled in seconds instead of a minute
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([*uv, "venv", "--quiet", "--python", python, str(target)], check=True)
        installer = [*uv, "pip", "install", "--quiet", "--python", str(interpreter(runtime, root))]
    else:
        subprocess.run([python, "-m", "venv", "--clear", str(target)], check=True)
        installer = [str(interpreter(runtime, root)), "-m", "pip", "install", "--quiet"]
        installer.append("--disable-pip-version-check")
    subprocess.run([*installer, *specs], check=True)


def uv_command() -> list[str] | None:
    """uv, run by this Python, when it has it (``scripts/bootstrap.sh`` installs it); None: pip."""
    if importlib.util.find_spec("uv") is None:
        return None
    return [sys.executable, "-m", "uv"]


def main(root: Path = PROJECT_ROOT) -> int:
    """Install each runtime's environment that differs from what it should hold."""
    for runtime in RUNTIME_SDK:
        found = difference(runtime, root)
        if found is None:
            continue
        print(f"==> {runtime} for the functions ({environment_dir(runtime, root).name}): {found}")
        try:
            install(runtime, root)
        except RuntimeUnavailable as exc:
            print(exc, file=sys.stderr)
            return 1
        except subprocess.CalledProcessError as exc:
            print(f"Installing {runtime}'s environment failed: {exc}.", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
