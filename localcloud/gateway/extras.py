"""What the local gateway serves at a stage that a stage on AWS does not: the project's OpenAPI
document at ``/<stage>/openapi.json`` (its ``servers`` pointed at that stage) and the API
reference page at ``/<stage>/docs`` (``docs``). Both come before any route of the API with the
same path, and only when there is a document to serve."""

from __future__ import annotations

from pathlib import Path

from localcloud.gateway import docs
from localcloud.gateway.answer import Answer
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.responses import GatewayError

OPENAPI_PATH = "/openapi.json"


class LocalExtras:
    """The document at ``openapi_document`` (None: no extras) and its reference page."""

    def __init__(self, openapi_document: Path | None):
        self.openapi_document = openapi_document

    def serves(self, request: IncomingRequest) -> bool:
        """Whether ``request`` is for one of the extras."""
        if not self.openapi_document:
            return False
        is_document = (request.method, request.path) == ("GET", OPENAPI_PATH)
        return is_document or docs.serves(request.method, request.path)

    def answer(self, request: IncomingRequest) -> Answer:
        """The extra ``request`` asks for; a GatewayError for a name the page does not have."""
        if request.path == OPENAPI_PATH:
            server = f"http://{request.host}/{request.stage}"
            headers = [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")]
            document = docs.document_for(self.openapi_document, server)
            return Answer(200, headers, document, {"integration": "OPENAPI"})
        try:
            status, headers, body = docs.answer(request.path, f"/{request.stage}")
        except docs.UnknownAsset:
            raise GatewayError("RESOURCE_NOT_FOUND") from None
        return Answer(status, headers, body, {"integration": "DOCS"})
