"""The local gateway: an HTTP server (werkzeug) that serves a REST API deployed on the emulator.

It reads the API and the functions behind it back from the emulator (``snapshot``), answers
``/<stage>/<path>`` as API Gateway would (``dispatch``: Cognito user pool tokens checked first,
see ``authorizers``; then ``integrations``), runs AWS_PROXY functions in warm worker processes
(``functions``), and serves the OpenAPI document and its reference page beside the API
(``extras``). It polls the emulator and picks up a redeploy by itself. One JSON line per request
goes to its log stream (``log``, written by ``wsgi``).
"""

from __future__ import annotations

from pathlib import Path

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.base.ports import wsgi_server
from localcloud.base.run_files import RunFiles
from localcloud.gateway import dispatch
from localcloud.gateway.answer import Answer
from localcloud.gateway.authorizers import UserPools
from localcloud.gateway.extras import LocalExtras
from localcloud.gateway.log import GatewayLog
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.snapshot import CodeSwap, LiveSnapshot, Snapshot, SnapshotReader
from localcloud.gateway.wsgi import RawHeadersHandler, WsgiApp
from localcloud.lambdas.code_store import CodeStore
from localcloud.lambdas.function_pool import DEFAULT_CONCURRENCY_CAP
from localcloud.lambdas.spares import Spares
from localcloud.lambdas.worker_process import worker_environment

SPARES_AFTER_S = 1.0
"""After a save, how long the spares wait for its first request before importing again."""


class Gateway:
    """Serves one deployed REST API (see the module docstring).

    ``code_dirs``: where the functions' packages are looked up by CodeSha256; ``extract_dir``:
    where they are extracted (default: the run's, under the working directory);
    ``openapi_document``: the document to serve beside the API (None: none, nor its page).
    """

    def __init__(  # pylint: disable=too-many-arguments
        self,
        endpoint_url: str,
        *,
        region: str = aws.DEFAULT_REGION,
        api_id: str | None = None,
        code_dirs: list[Path] | None = None,
        extract_dir: Path | None = None,
        concurrency_cap: int = DEFAULT_CONCURRENCY_CAP,
        log_stream=None,
        poll_interval: float = 2.0,
        openapi_document: Path | None = None,
    ):
        self.log = GatewayLog(log_stream)
        code = CodeStore(code_dirs or [], extract_dir or RunFiles(Path.cwd()).functions)
        self.code_store = code
        self.spares: Spares | None = None
        reader = SnapshotReader(endpoint_url, region, api_id, code, concurrency_cap)
        self.snapshots = LiveSnapshot(reader, self.log, poll_interval)
        self.extras = LocalExtras(openapi_document)
        self.wsgi_app = WsgiApp(self.handle, self.log)

    @property
    def served(self) -> Snapshot:
        """The snapshot being served."""
        return self.snapshots.current

    @property
    def user_pools(self) -> UserPools:
        """The emulator's user pools, their app clients and signing keys."""
        return self.snapshots.reader.user_pools

    @property
    def openapi_document(self) -> Path | None:
        """The OpenAPI document served beside the API."""
        return self.extras.openapi_document

    @openapi_document.setter
    def openapi_document(self, path: Path | None) -> None:
        self.extras.openapi_document = path

    def handle(self, request: IncomingRequest) -> Answer:
        """Answer one request with the snapshot being served."""
        return dispatch.answer(self.snapshots.current, request, self.extras)

    def refresh(self) -> bool:
        """Reload when the emulator's API or functions changed (a redeploy); True if reloaded."""
        return self.snapshots.refresh()

    def update_code(self, codes: dict[str, str], deploy) -> CodeSwap:
        """Serve the packages ``codes`` names (CodeSha256 by function), each function's first
        worker started before it serves, in a spare worker after ``keep_spares()``; then
        ``deploy`` them to the emulator (``LiveSnapshot.update_code``)."""
        try:
            swap = self.snapshots.update_code(codes, deploy, self.spares)
        except LocalCloudError:
            if self.spares is not None:
                self.spares.fill()
            raise
        if self.spares is not None:
            self.spares.fill_after(swap.answered, SPARES_AFTER_S)
        return swap

    def keep_spares(self) -> None:
        """Keep a spare worker per function (``Spares``) for ``update_code``."""
        pools = self.served.pools
        if self.spares is None and pools:
            pool = next(iter(pools.values()))
            # The spares import the libraries only: no role's session is needed yet (each is
            # handed its function's environment, its role's session included, when taken).
            env = worker_environment(pool.spec, pool.endpoint_url, self.code_store.extract_root, {})
            self.spares = Spares(len(pools), pool.spec.runtime, env, self.code_store.extract_root)
            self.spares.fill()

    def start_polling(self) -> None:
        """Watch the emulator for redeploys in a background thread."""
        self.snapshots.start_polling()

    def prewarm(self) -> None:
        """Start one worker per servable function."""
        self.snapshots.prewarm()

    def close(self) -> None:
        """Stop polling and every worker."""
        self.snapshots.close()
        if self.spares is not None:
            self.spares.close()


def serve(gateway: Gateway, host: str, port: int, sock=None):
    """A bound werkzeug server for ``gateway`` (port 0: any free one; ``sock``: a listening
    socket to serve on instead); call ``serve_forever``."""
    return wsgi_server(
        gateway.wsgi_app,
        host,
        port,
        "local gateway",
        "--port",
        sock=sock,
        request_handler=RawHeadersHandler,
    )


def start(gateway: Gateway, host: str, port: int, *, prewarm: bool = False, sock=None):
    """``serve``, with a worker per function started first if ``prewarm``, and the emulator
    polled for redeploys from then on."""
    server = serve(gateway, host, port, sock)
    if prewarm:
        gateway.prewarm()
    gateway.start_polling()
    return server
