"""Loopback ports: finding a free one, holding one for a server, and a werkzeug server on one."""

from __future__ import annotations

import errno
import socket

from localcloud.base.errors import LocalCloudError


def listen(host: str, port: int, what: str, option: str) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free one), or a one-sentence error."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise LocalCloudError(
                f"Port {port} on {host} is already in use, so the {what} cannot listen there; "
                f"stop what holds it or choose another port with {option}."
            ) from None
        raise LocalCloudError(
            f"The {what} cannot listen on {host}:{port} ({exc.strerror}); "
            f"choose another address or port with {option}."
        ) from None
    sock.set_inheritable(True)
    return sock


def ensure_free(host: str, port: int, what: str, option: str) -> int:
    """Check that a port can be listened on (0 picks a free one); return the port."""
    sock = listen(host, port, what, option)
    chosen = sock.getsockname()[1]
    sock.close()
    return chosen


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now."""
    try:
        ensure_free(host, port, "probe", "--port")
    except LocalCloudError:
        return False
    return True


def wsgi_server(app, host: str, port: int, what: str, option: str, *, sock=None, **options):
    """A threaded werkzeug server of ``app`` bound to ``host:port`` (port 0: any free one; a
    taken one is a one-sentence error naming ``what`` and ``option``), or on ``sock``, a socket
    that ``listen`` gave earlier (it is closed: the server holds its own); call
    ``serve_forever``."""
    # werkzeug here, not at the top: the tools' parsers read this module (a port's check), and a
    # wrong command line is refused before werkzeug's imports, which only a server needs.
    # pylint: disable-next=import-outside-toplevel
    from werkzeug.serving import make_server  # noqa: PLC0415

    sock = sock or listen(host, port, what, option)
    try:
        server = make_server(
            host, sock.getsockname()[1], app, threaded=True, fd=sock.fileno(), **options
        )
    finally:
        sock.close()  # the server listens on its own duplicate of the socket
    server.daemon_threads = True
    return server
