"""The deployed environment served for the integration suite: the local gateway in front of its
REST API and the triggers running its event source mappings and schedules, as AWS runs them
beside a deploy (they act as the emulator's services, not as the suite)."""

from __future__ import annotations

import threading
from pathlib import Path

from localcloud.gateway.server import Gateway, start
from localcloud.triggers.service import Triggers


class Served:  # pylint: disable=too-few-public-methods  # a served deploy, then closed
    """``outputs``' API served from the emulator at ``endpoint_url``, until ``close``; the
    gateway's and the triggers' lines go to ``work``/served.log."""

    def __init__(self, endpoint_url: str, region: str, outputs: dict, stack_dir: Path, work: Path):
        # Open as long as it serves; closed by close().
        self.log = open(work / "served.log", "a", encoding="utf-8")  # noqa: SIM115  # pylint: disable=consider-using-with
        self.gateway = Gateway(
            endpoint_url,
            region=region,
            api_id=outputs.get("ApiGatewayId"),
            code_dirs=[stack_dir],
            extract_dir=work / "functions",
            log_stream=self.log,
        )
        self.server = start(self.gateway, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.triggers = Triggers(endpoint_url, region, self.gateway.code_store, log_stream=self.log)
        self.triggers.start()
        stage = outputs.get("ApiGatewayStageName", "")
        self.url = f"http://127.0.0.1:{self.server.port}/{stage}/"

    def close(self) -> None:
        """Stop the triggers, the gateway and its workers."""
        self.triggers.close()
        self.server.shutdown()
        self.thread.join(timeout=30)
        self.server.server_close()
        self.gateway.close()
        self.log.close()
