"""``python -m localcloud.tools.api_docs``: the reference page alone, for a stage on AWS."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import requests

from localcloud import PROJECT_ROOT
from localcloud.tools.api_docs import stage_url
from tests.localcloud.conftest import command_serving

STAGE = "https://abc123.execute-api.us-east-1.amazonaws.com/dev"


def test_serves_the_page_for_the_stage():
    page_command = command_serving(
        "localcloud.tools.api_docs", "--api-url", STAGE + "/", "--port", "0"
    )
    with page_command as (process, banner):
        assert banner.startswith(f"API reference of {STAGE} at http://localhost:")
        page_url = banner.split(" at ")[1].strip()
        base = page_url.removesuffix("/docs").replace("localhost", "127.0.0.1")
        page = requests.get(base + "/docs", timeout=10)
        assert page.status_code == 200
        policy = page.headers["Content-Security-Policy"]
        assert "connect-src 'self' https://abc123.execute-api.us-east-1.amazonaws.com;" in policy
        assert 'data-spec="/openapi.json"' in page.text
        assert requests.get(base + "/docs/swagger-ui-bundle.js", timeout=10).status_code == 200
        document = requests.get(base + "/openapi.json", timeout=10).json()
        assert document["servers"] == [{"url": STAGE}]
        expected = json.loads((PROJECT_ROOT / "openapi.json").read_text(encoding="utf-8"))
        assert document["paths"] == expected["paths"]
        home = requests.get(base + "/", timeout=10, allow_redirects=False)
        assert (home.status_code, home.headers["Location"]) == (302, "/docs")
        for path in ("/docs/nope.js", "/products"):
            missing = requests.get(base + path, timeout=10)
            assert missing.status_code == 404
            assert missing.json() == {"message": "Not Found"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


@pytest.mark.parametrize(
    "value", ["abc123.execute-api.us-east-1.amazonaws.com/dev", "ftp://host/dev", STAGE + "?x=1"]
)
def test_anything_but_a_stage_url_is_refused(value):
    with pytest.raises(ValueError, match="is not a stage URL such as https://"):
        stage_url(value)
    result = subprocess.run(
        [sys.executable, "-m", "localcloud.tools.api_docs", "--api-url", value],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(
        "python -m localcloud.tools.api_docs: error: --api-url: "
    )
    assert result.stdout == ""
