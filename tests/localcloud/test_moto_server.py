"""The emulator answers one request at a time (moto's transactions are not atomic alone)."""

import threading
import time

from localcloud.moto_server import Serialized


def test_requests_never_overlap_inside_moto():
    inside, most = [0], [0]

    def slow_app(environ, start_response):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.05)
        inside[0] -= 1
        start_response("200 OK", [])
        return iter([b"o", b"k"])

    app = Serialized(slow_app)
    threads = [threading.Thread(target=app, args=({}, lambda *_: None)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert app({}, lambda *_: None) == [b"ok"]
