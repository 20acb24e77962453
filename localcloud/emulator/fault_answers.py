"""The errors that fault rules inject, in the wire shape of the operation they answer for."""

from __future__ import annotations

import io
import json
import random
import uuid
from typing import Any

from localcloud.emulator.fault_rule import CANCELLED, TRANSACTION_CONFLICT, Rule


def request_body(environ) -> bytes:
    """The request body, put back for the application to read again."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    body = stream.read(int(length)) if length else stream.read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def error_answer(rule: Rule, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of ``rule``'s error, in the operation's own wire shape."""
    message = f"Injected by the local cloud's fault rule #{rule.id}."
    request_id = str(uuid.uuid4())
    if "target" in rule.match:
        prefix = "com.amazonaws.dynamodb.v20120810#" if rule.service == "dynamodb" else ""
        answer: dict[str, Any] = {"__type": prefix + (rule.code or ""), "message": message}
        if rule.error == TRANSACTION_CONFLICT:
            answer = _conflict(prefix, environ)
        body = json.dumps(answer).encode()
        content_type = "application/x-amz-json-1.0"
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{rule.code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
    ]
    return f"{rule.status} Injected", headers, body


def _conflict(prefix: str, environ) -> dict[str, Any]:
    """DynamoDB's cancellation of a transaction one of whose items another one holds."""
    try:
        request = json.loads(request_body(environ) or b"{}")
        size = len(request.get("TransactItems") or request.get("TransactStatements") or [])
    except (ValueError, AttributeError):
        size = 1
    size = max(size, 1)
    reasons = [{"Code": "None"} for _ in range(size)]
    reasons[random.randrange(size)] = {  # which item conflicts: not a secret
        "Code": TRANSACTION_CONFLICT,
        "Message": "Transaction is ongoing for the item",
    }
    codes = ", ".join(reason["Code"] for reason in reasons)
    return {
        "__type": prefix + CANCELLED,
        "Message": "Transaction cancelled, please refer cancellation reasons for specific "
        f"reasons [{codes}]",
        "CancellationReasons": reasons,
    }
