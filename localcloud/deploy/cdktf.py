"""Running the project's pinned cdktf CLI (deploy, destroy): where it is, its environment (the
emulator's, never a real account's), its lines, and reading what it wrote."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.base.processes import die_with_parent, printed, stop_process_group

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
BOX = "│╷╵┃"
PROVIDER_FAILURES = (
    "Failed to query available provider packages",
    "Failed to install provider",
    "Incompatible provider version",
    "Failed to load plugin schemas",
    "provider registry.terraform.io/hashicorp/aws",
)


def cdktf_command(root: Path, env: dict[str, str]) -> list[str]:
    """The pinned CLI from the project's node_modules (never a global or downloaded one)."""
    if not shutil.which("node", path=env.get("PATH")):
        raise LocalCloudError("Node.js is not installed (no node on PATH); cdktf needs it.")
    binary = root / "node_modules" / ".bin" / "cdktf"
    if not binary.exists():
        raise LocalCloudError(
            f"The project's pinned cdktf CLI is missing ({binary}); run `npm ci` in {root} first."
        )
    if not (root / "cdktf.json").exists():
        raise LocalCloudError(f"There is no cdktf.json in {root}, so there is no stack to deploy.")
    return [str(binary)]


def environment(region: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of cdktf and Terraform runs: the emulator's, never a real account's
    (``extra``: the caller's additions, last)."""
    env = {k: v for k, v in os.environ.items() if k not in aws.SCRUBBED + aws.UNSET}
    env.update(aws.ADMIN_CREDENTIALS)
    env.update(aws.region_env(region))
    env.update(
        {
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "CI": "true",  # cdktf streams plain lines instead of redrawing a terminal UI
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": str(_node_major(env)),
        }
    )
    env.update(extra)
    return env


def _node_major(env: dict[str, str]) -> str:
    node = shutil.which("node", path=env.get("PATH"))
    if not node:
        return ""
    version = printed([node, "--version"], timeout=10) or ""
    return version.strip().lstrip("v").split(".")[0]


def synthesized_stack(root: Path, stack: str) -> Path:
    """Where ``cdktf synth`` writes ``stack`` of the project at ``root`` (and Terraform runs)."""
    return root / "cdktf.out" / "stacks" / stack


def _clean(line: str) -> str:
    text = ANSI.sub("", line).rstrip()
    text = re.sub(r"^\S+\s{2,}(?=\S)", "", text)  # cdktf's "<stack>  " prefix
    return text.strip().lstrip(BOX).strip()


def terraform_error(lines: list[str]) -> str:
    """Terraform's own error message from cdktf output, condensed to one line."""
    clean = [_clean(line) for line in lines]
    messages: list[str] = []
    for index, text in enumerate(clean):
        at = text.find("Error: ")
        if at == -1 or at > 12:
            continue
        detail = [text[at + len("Error: ") :].strip()]
        for more in clean[index + 1 : index + 8]:
            if not more:
                if len(detail) > 1:
                    break
                continue
            if more.startswith(("with ", "on ", "Error: ")) or more in BOX:
                break
            detail.append(more)
        message = " ".join(detail).strip()
        if message and message not in messages:
            messages.append(message)
    if messages:
        return "; ".join(messages[:3])
    tail = [text for text in clean if text]
    return tail[-1] if tail else "cdktf exited without a message"


def run_cdktf(
    command: list[str],
    root: Path,
    env: dict[str, str],
    log_path: Path,
    *,
    echo=None,
    on_start=None,
) -> tuple[int, list[str]]:
    """Run cdktf, streaming its lines to ``echo`` and ``log_path``; return (status, its lines)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        process = subprocess.Popen(  # pylint: disable=consider-using-with,W1509
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Started from the main thread: dies with the runner even if that is killed.
            preexec_fn=die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        if on_start:
            on_start(process)
        try:
            for raw in process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                log.write(line + "\n")
                lines.append(line)
                if echo and line.strip():
                    echo(line)
            return process.wait(), lines
        except BaseException:
            stop_process_group(process)
            raise
        finally:
            process.stdout.close()


def classify_failure(stack: str, lines: list[str]) -> LocalCloudError:
    """The one-sentence error for a failed deploy."""
    message = terraform_error(lines)
    text = "\n".join(lines)
    if any(marker in text for marker in PROVIDER_FAILURES[:4]):
        return LocalCloudError(f"The Terraform AWS provider is not installable: {message}")
    return LocalCloudError(f"The deploy of {stack} failed: {message}")


def flatten_outputs(all_outputs: Path, flat_outputs: Path, stack: str) -> dict:
    """Write the flat object of ``stack``'s outputs beside cdktf's all-outputs file."""
    try:
        data = json.loads(all_outputs.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LocalCloudError(
            f"cdktf wrote no readable outputs file at {all_outputs}: {exc}"
        ) from None
    flat = data.get(stack)
    if not isinstance(flat, dict):
        raise LocalCloudError(f"The outputs file {all_outputs} has no outputs for {stack}.")
    flat_outputs.write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return flat


def echo_indented(line: str) -> None:
    """Show one line of cdktf's output under the runner's own lines."""
    with contextlib.suppress(OSError, ValueError):
        text = line if sys.stdout.isatty() else ANSI.sub("", line)
        print(f"    {text}", flush=True)
