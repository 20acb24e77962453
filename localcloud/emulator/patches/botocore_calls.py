"""The patch book's page for botocore in a Lambda worker (``localcloud.lambdas.worker_main``):
botocore's members that a worker wraps while an invocation runs, for the fault rules to strike at
the handler's AWS calls (the book's records ``botocore.httpsession.URLLib3Session.send`` and
``botocore.endpoint.Endpoint.make_request``).

The worker runs on the function's runtime's interpreter and imports nothing of the project: it
loads this file by its path, so this file imports nothing but the standard library, and botocore
is the handler's own (its package's or the runtime's: ``sys.path`` is set).
"""

from __future__ import annotations

import contextlib
import importlib


@contextlib.contextmanager
def calls_watched(sent, made):
    """While inside, botocore's ``URLLib3Session.send(session, prepared)`` is
    ``sent(send, session, prepared)`` and ``Endpoint.make_request(endpoint, operation_model,
    request_dict)`` is ``made(make_request, endpoint, operation_model, request_dict)``; yields
    whether botocore is there to watch (False: no AWS call possible)."""
    try:
        http = importlib.import_module("botocore.httpsession")
        endpoint = importlib.import_module("botocore.endpoint")
    except ImportError:
        yield False
        return
    send, request = http.URLLib3Session.send, endpoint.Endpoint.make_request

    def sending(session, prepared):
        return sent(send, session, prepared)

    def making(self, operation_model, request_dict):
        return made(request, self, operation_model, request_dict)

    http.URLLib3Session.send, endpoint.Endpoint.make_request = sending, making
    try:
        yield True
    finally:
        http.URLLib3Session.send, endpoint.Endpoint.make_request = send, request
