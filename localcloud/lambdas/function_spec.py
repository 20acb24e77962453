"""A deployed Lambda function, as the emulator describes it: its configuration, reserved
concurrency and CodeSha256."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FunctionSpec:
    """What the emulator says about a deployed function."""

    name: str
    arn: str
    role: str
    handler: str
    runtime: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    code_sha256: str
    reserved_concurrency: int | None
    region: str

    @classmethod
    def from_emulator(cls, lambda_client, name: str, region: str) -> FunctionSpec:
        """Read the function's configuration and reserved concurrency from the emulator."""
        config = lambda_client.get_function(FunctionName=name)["Configuration"]
        reserved = lambda_client.get_function_concurrency(FunctionName=name).get(
            "ReservedConcurrentExecutions"
        )
        return cls(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            role=config.get("Role") or "",
            handler=config.get("Handler") or "",
            runtime=config.get("Runtime") or "",
            timeout_s=int(config.get("Timeout", 3)),
            memory_mb=int(config.get("MemorySize", 128)),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            code_sha256=config.get("CodeSha256") or "",
            reserved_concurrency=reserved,
            region=region,
        )
