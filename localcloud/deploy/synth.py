"""Whether ``cdktf.out`` still holds what ``cdktf synth`` would write now, so a deploy may skip
the synth (a third of a start-up).

The synth reads ``main.py``, ``stacks/``, ``handlers/`` (packaged as the functions' asset),
``cdktf.json``, the two lock files (the cdktf library and CLI), the ``ECOMMERCE_*`` variables and
the project's path (the local state's absolute path is written into the stack). A fingerprint of
all of it is recorded in ``.localcloud/synth.json`` with a fingerprint of what the synth wrote
for the stack; the synth is skipped only when both still match.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from localcloud import PROJECT_ROOT
from localcloud.base import arguments
from localcloud.base.run_files import RunFiles
from localcloud.deploy.cdktf import synthesized_stack

INPUT_FILES = ("main.py", "cdktf.json", "Pipfile.lock", "package-lock.json")
INPUT_DIRS = ("stacks", "handlers")
ENV_PREFIX = "ECOMMERCE_"
IGNORED_PARTS = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
WHAT = "main.py, stacks/, handlers/, cdktf.json, the locks and ECOMMERCE_*"
"""What the fingerprint covers, as the runner says it."""
STACKS_VARIABLE = "ECOMMERCE_STACKS"
"""The stacks main.py builds (all when unset)."""


def only(stack: str, env: dict[str, str]) -> dict[str, str]:
    """What to add to ``env`` so that the synth builds ``stack`` alone (main.py): nothing when
    the caller names the stacks itself (CI names all: its checkov gate reads every stack from
    the local cloud's synth)."""
    return {} if STACKS_VARIABLE in env else {STACKS_VARIABLE: stack}


def _files(root: Path, names: tuple[str, ...], dirs: tuple[str, ...]):
    for name in names:
        path = root / name
        if path.is_file():
            yield path
    for name in dirs:
        for path in sorted((root / name).rglob("*")):
            relative = path.relative_to(root).parts
            ignored = any(part in IGNORED_PARTS for part in relative)
            if path.is_file() and not ignored and path.suffix not in (".pyc", ".pyo"):
                yield path


def _digest(root: Path, paths, extra: list[str]) -> str:
    digest = hashlib.sha256()
    for item in extra:
        digest.update(item.encode() + b"\0")
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def inputs_fingerprint(root: Path, env: dict[str, str]) -> str:
    """A fingerprint of everything the synth reads."""
    variables = [f"{k}={v}" for k, v in sorted(env.items()) if k.startswith(ENV_PREFIX)]
    return _digest(root, _files(root, INPUT_FILES, INPUT_DIRS), [str(root.resolve()), *variables])


def output_fingerprint(stack_dir: Path) -> str | None:
    """A fingerprint of what the synth wrote for one stack (None: nothing there)."""
    if not (stack_dir / "cdk.tf.json").is_file():
        return None
    return _digest(stack_dir, _files(stack_dir, ("cdk.tf.json",), ("assets",)), [])


class SynthRecord:
    """``.localcloud/synth.json``: the fingerprints of the last synth that was deployed."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def current(self, inputs: str, stack_dir: Path) -> bool:
        """Whether ``stack_dir`` holds the synth of exactly ``inputs``."""
        record = self._read()
        return (
            record.get("inputs") == inputs
            and record.get("output") is not None
            and record.get("output") == output_fingerprint(stack_dir)
        )

    def since(self) -> str:
        """When the recorded synth ran, for the user (its time alone when it was today)."""
        at = self._read().get("at", "an earlier run")
        return at.removeprefix(time.strftime("%Y-%m-%d "))

    def save(self, inputs: str, stack_dir: Path) -> None:
        """Record that ``stack_dir`` now holds the synth of ``inputs``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "inputs": inputs,
            "output": output_fingerprint(stack_dir),
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    def forget(self) -> None:
        """The synthesized stack may no longer match (a synth failed halfway)."""
        self.path.unlink(missing_ok=True)


def main(argv=None) -> int:
    """``python -m localcloud.deploy.synth --record``: right after a ``cdktf synth`` of this project
    (CI's checkov gate runs one), record it, so that the local cloud's deploy reuses it."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.deploy.synth", description=main.__doc__
    )
    parser.add_argument("--record", action="store_true", required=True)
    parser.add_argument("--stack", type=arguments.stack, default="ecommerce-local")
    parser.add_argument("--project-dir", type=arguments.existing_dir, default=PROJECT_ROOT)
    args = parser.parse_args(argv)
    root = args.project_dir.resolve()
    stack_dir = synthesized_stack(root, args.stack)
    if output_fingerprint(stack_dir) is None:
        print(f"localcloud: nothing synthesized in {stack_dir} to record", file=sys.stderr)
        return 1
    # As the runner will fingerprint it: the stack's synth is the same whichever others were built.
    env = dict(os.environ)
    SynthRecord(RunFiles(root).synth_record).save(
        inputs_fingerprint(root, {**env, **only(args.stack, env)}), stack_dir
    )
    print(f"localcloud: recorded the synth of {args.stack}; the next deploy reuses it")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
