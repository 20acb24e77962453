"""moto's server, answering one request at a time: ``python -m localcloud.moto_server -H -p``.

AWS makes every DynamoDB request atomic, transactions above all: of two racing
``TransactWriteItems`` with the same condition, one fails. moto checks conditions and writes item
by item with no lock, so over its threaded server both can succeed (two sign-ups with one email,
an oversold product). Serializing requests restores AWS's atomicity per request while requests
still interleave between calls, which is what the store's condition expressions are for. Each
request takes milliseconds, so the cost is small for a laptop's traffic.
"""

import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class Serialized:  # pylint: disable=too-few-public-methods
    """WSGI middleware: one request inside ``app`` at a time, its body produced under the lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


def main(argv=None) -> None:
    """Serve moto on ``--host``/``--port`` until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m localcloud.moto_server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        Serialized(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":  # pragma: no cover
    main()
