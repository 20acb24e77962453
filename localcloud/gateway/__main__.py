"""``python -m localcloud.gateway``: serve a REST API that is already deployed on an emulator."""

from __future__ import annotations

import argparse
import os
import sys

from localcloud import PROJECT_ROOT
from localcloud.base import arguments, aws, command
from localcloud.base.errors import LocalCloudError
from localcloud.base.run_files import RunFiles
from localcloud.lambdas.function_pool import DEFAULT_CONCURRENCY_CAP


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.gateway",
        description="Serve a REST API deployed on the AWS emulator over HTTP.",
    )
    parser.add_argument(
        "--endpoint-url",
        type=arguments.http_url,
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="the emulator (default: $AWS_ENDPOINT_URL)",
    )
    command.add_region(parser)
    parser.add_argument("--api-id", help="the REST API to serve (default: the only one)")
    command.add_address(parser, "the local API")
    parser.add_argument(
        "--code-dir",
        action="append",
        type=arguments.existing_dir,
        help="where deployment packages are looked up by CodeSha256 "
        "(repeatable; default: cdktf.out of the project)",
    )
    parser.add_argument(
        "--concurrency-cap",
        type=arguments.count,
        default=DEFAULT_CONCURRENCY_CAP,
        help="workers per function without reserved concurrency",
    )
    command.add_prewarm(parser)
    args = parser.parse_args(argv)
    if not args.endpoint_url:
        parser.error("argument --endpoint-url: the emulator's URL is required ($AWS_ENDPOINT_URL)")
    return args


def main(argv=None) -> int:
    """Serve until Ctrl-C or SIGTERM."""
    args = parse_args(argv)
    # The gateway here, not at the top: a wrong command line is refused before its imports
    # (the functions' pool, the authorizers, werkzeug), which only serving needs.
    # pylint: disable-next=import-outside-toplevel
    from localcloud.gateway.server import Gateway, start  # noqa: PLC0415

    gateway = None
    try:
        gateway = Gateway(
            args.endpoint_url,
            region=aws.region_of(os.environ, args.region or ""),
            api_id=args.api_id,
            code_dirs=args.code_dir or [PROJECT_ROOT / "cdktf.out"],
            extract_dir=RunFiles(PROJECT_ROOT).functions,
            concurrency_cap=args.concurrency_cap,
            openapi_document=PROJECT_ROOT / "openapi.json",
        )
        for problem in gateway.served.problems:
            print(f"Warning: {problem}", file=sys.stderr)
        server = start(gateway, args.host, args.port, prewarm=args.prewarm)
        stages = ", ".join(
            f"http://{args.host}:{server.port}/{stage}/" for stage in gateway.served.api.stages
        )
        print(f"Local gateway serving {gateway.served.api.name} at {stages}", flush=True)
        command.serve_until_interrupted(server)
    except LocalCloudError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # while it was starting
        pass
    finally:
        if gateway is not None:
            gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
