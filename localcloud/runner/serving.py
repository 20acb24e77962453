"""The runner's API: the local gateway serving what the stack deployed on the emulator, and the
files that tell other shells where (``ready.json``, ``env``), said to the user once it answers."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from localcloud.base import aws
from localcloud.base.output import say, shown
from localcloud.base.run_files import RunFiles
from localcloud.gateway.server import Gateway, start

TOKEN = "python -m localcloud user add EMAIL [--admin]"
"""The next step once it serves: a person of the local pool, and their ID token (printed)."""


class Serving:
    """Serves ``stack_dir``'s deployed API on ``host:port`` (0: a free one; ``sock``: the
    socket already listening there) from the emulator at ``emulator_url``, with the run's
    ``files``."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        files: RunFiles,
        emulator_url: str,
        stack_dir: Path,
        *,
        host: str,
        port: int,
        sock=None,
    ):
        self.files = files
        self.emulator_url = emulator_url
        self.stack_dir = stack_dir
        self.host = host
        self.port = port
        self.sock = sock
        self.gateway: Gateway | None = None
        self.server = None
        self.stage = ""
        self.api_url = ""

    def start(self, outputs: dict, region: str, *, prewarm: bool = False) -> str:
        """Serve the API that ``outputs`` (the stack's) name; its URL (``api_url``)."""
        self.gateway = Gateway(
            self.emulator_url,
            region=region,
            api_id=outputs.get("ApiGatewayId"),
            code_dirs=[self.stack_dir, self.files.packages],
            extract_dir=self.files.functions,
            openapi_document=_existing(self.files.root / "openapi.json"),
        )
        for problem in self.gateway.served.problems:
            say(f"warning: {problem}")
        self.server = start(self.gateway, self.host, self.port, prewarm=prewarm, sock=self.sock)
        self.sock = None  # the server holds its own duplicate
        self.port = self.server.port
        stages = list(self.gateway.served.api.stages)
        self.stage = outputs.get("ApiGatewayStageName") or (stages[0] if stages else "")
        self.api_url = f"http://{self.host}:{self.port}/{self.stage}/"
        return self.api_url

    def publish(self, stack: str, region: str, env: dict[str, str], timings: dict) -> None:
        """Write ``env`` (the exports that point a shell at the emulator and the API, with
        Terraform's CLI configuration of ``env``) and ``ready.json`` (where everything is, and
        the start's ``timings``), and say where it is and how to get a token."""
        api_url = self.api_url
        exports = {
            "AWS_ENDPOINT_URL": self.emulator_url,
            **aws.ADMIN_CREDENTIALS,
            **aws.region_env(region),
            "API_BASE_URL": api_url,
        }
        if "TF_CLI_CONFIG_FILE" in env:
            exports["TF_CLI_CONFIG_FILE"] = env["TF_CLI_CONFIG_FILE"]
        files = self.files
        files.env_file.write_text(
            "".join(f"export {k}={shlex.quote(v)}\n" for k, v in exports.items())
            + f"unset {' '.join(aws.UNSET)}\n",
            encoding="utf-8",
        )
        files.write_json(
            files.ready_file,
            {
                "pid": os.getpid(),
                "apiUrl": api_url,
                "emulatorUrl": self.emulator_url,
                "stage": self.stage,
                "stack": stack,
                "outputsFile": str(files.all_outputs),
                "flatOutputsFile": str(files.flat_outputs),
                "envFile": str(files.env_file),
                "terraformDir": str(self.stack_dir),
                "timings": timings,
            },
        )
        for name, value in (
            ("API", api_url),
            ("reference", f"{api_url}docs"),
            ("emulator", self.emulator_url),
            ("outputs", f"{shown(files.flat_outputs)} (and {files.all_outputs.name})"),
            ("env", f"source {shown(files.env_file)}  # for terraform or tests; logs beside it"),
            ("token", f"{TOKEN}, later: python -m localcloud token EMAIL"),
        ):
            say(f"{name:<10} {value}")

    def serve_forever(self) -> None:
        """Serve until interrupted."""
        self.server.serve_forever()

    def stop(self) -> None:
        """Stop serving and every worker; the port is free again."""
        if self.sock is not None:  # it never served
            self.sock.close()
            self.sock = None
        if self.server is not None:
            self.server.server_close()
        if self.gateway is not None:
            self.gateway.close()


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None
