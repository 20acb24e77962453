"""docs/api.md against openapi.json and the route table, so that the prose cannot drift.

Every operation table of docs/api.md (header ``operation | method and path | role | request |
success | errors``) is parsed; each row must be one operation of openapi.json, with its method and
path, the role the route table gives it (consistent with the operation's security), the names of
its body fields, query parameters and headers (``?`` marking exactly the optional ones), its
success status and its 4XX statuses. Every operation of the document must have its row, once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from handlers.store.spec import errors, routes
from tests.docs.markdown import ROOT, code_names, tables

API_DOC = ROOT / "docs" / "api.md"
OPENAPI = ROOT / "openapi.json"
COLUMNS = ("operation", "method and path", "role", "request", "success", "errors")
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
STATUS_LIST = re.compile(r"^[1-5]\d\d(, [1-5]\d\d)*$")


@dataclass(frozen=True)
class Row:
    """One documented operation."""

    line: int
    operation_id: str
    method: str
    path: str
    role: str
    request: str
    success: str
    errors: str

    def where(self) -> str:
        """Where the row is, for messages."""
        return f"docs/api.md line {self.line} ({self.operation_id})"


def _operation_rows() -> list[Row]:
    text = API_DOC.read_text(encoding="utf-8")
    rows = []
    for table in tables(text):
        if not table.header or table.header[0].lower() != "operation":
            continue
        header = tuple(cell.lower() for cell in table.header)
        assert header == COLUMNS, (
            f"docs/api.md line {table.line}: an operation table must have the columns "
            f"{' | '.join(COLUMNS)}, not {' | '.join(table.header)}"
        )
        for line, cells in table.rows:
            assert len(cells) == len(COLUMNS), (
                f"docs/api.md line {line}: {len(cells)} cells, expected {len(COLUMNS)}"
            )
            names = code_names(cells[0])
            assert len(names) == 1, f"docs/api.md line {line}: the operation is one `operationId`"
            method_path = code_names(cells[1])
            assert len(method_path) == 1 and " " in method_path[0][0], (
                f"docs/api.md line {line}: the method and path is one code span, `GET /path`"
            )
            method, path = method_path[0][0].split(" ", 1)
            rows.append(Row(line, names[0][0], method, path, *cells[2:]))
    return rows


ROWS = _operation_rows()
DOCUMENT = json.loads(OPENAPI.read_text(encoding="utf-8"))
OPERATIONS = {
    operation["operationId"]: (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
}
ACCESS = {route.operation_id: route.access for route in routes.ROUTES}


def _row(operation_id: str) -> Row:
    found = [row for row in ROWS if row.operation_id == operation_id]
    assert found, f"docs/api.md has no row for {operation_id}, an operation of openapi.json"
    return found[0]


def test_the_tables_were_found():
    assert ROWS, "docs/api.md has no operation table (header: " + " | ".join(COLUMNS) + ")"


def test_every_operation_is_documented_once_and_nothing_else():
    documented = [row.operation_id for row in ROWS]
    missing = sorted(set(OPERATIONS) - set(documented))
    extra = sorted(set(documented) - set(OPERATIONS))
    repeated = sorted({name for name in documented if documented.count(name) > 1})
    assert not missing, f"docs/api.md lacks operations of openapi.json: {missing}"
    assert not extra, f"docs/api.md lists operations openapi.json does not have: {extra}"
    assert not repeated, f"docs/api.md lists these operations more than once: {repeated}"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_method_and_path(operation_id):
    row, (method, path, _) = _row(operation_id), OPERATIONS[operation_id]
    assert (row.method, row.path) == (method, path), (
        f"{row.where()}: `{row.method} {row.path}`, but openapi.json has `{method} {path}`"
    )


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_success_status(operation_id):
    row, operation = _row(operation_id), OPERATIONS[operation_id][2]
    success = sorted(status for status in operation["responses"] if status.startswith("2"))
    documented = re.match(r"\s*(\d{3})\b", row.success)
    assert documented, f"{row.where()}: the success cell must start with its status"
    assert [documented.group(1)] == success, (
        f"{row.where()}: success {documented.group(1)}, but openapi.json says {success}"
    )


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_error_statuses(operation_id):
    row, operation = _row(operation_id), OPERATIONS[operation_id][2]
    assert STATUS_LIST.match(row.errors), (
        f"{row.where()}: the errors cell must be a list like '400, 404', not {row.errors!r}"
    )
    documented = set(row.errors.split(", "))
    spec = {status for status in operation["responses"] if status.startswith("4")}
    assert documented == spec, (
        f"{row.where()}: errors {sorted(documented)}, but openapi.json has {sorted(spec)} "
        f"(missing here: {sorted(spec - documented)}; not in openapi.json: "
        f"{sorted(documented - spec)})"
    )
    # The page says once, for every operation, that a 5XX is INTERNAL; so must the document.
    rest = set(operation["responses"]) - spec - {s for s in operation["responses"] if s[0] == "2"}
    assert rest == {"5XX"}, f"{operation_id}: openapi.json answers {sorted(rest)} besides 2XX/4XX"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_role(operation_id):
    row, operation = _row(operation_id), OPERATIONS[operation_id][2]
    access = ACCESS.get(operation_id)
    assert access is not None, f"the route table has no route {operation_id}"
    expected = access.value.replace("-", " ")
    assert row.role.strip().lower() == expected, (
        f"{row.where()}: role {row.role!r}, but the route table says {expected!r}"
    )
    needs_token = bool(operation.get("security"))
    assert needs_token == access.signed_in, (
        f"{operation_id}: openapi.json {'requires' if needs_token else 'does not require'} a "
        f"token, but its role is {expected!r}"
    )


def _schema(reference: str) -> tuple[str, dict]:
    name = reference.rsplit("/", 1)[-1]
    return name, DOCUMENT["components"]["schemas"][name]


def _nested_names(schema: dict) -> set[str]:
    """The property names of the objects inside a schema's properties (an order's items)."""
    names: set[str] = set()
    for prop in schema.get("properties", {}).values():
        inner = prop.get("items", prop)
        if "properties" in inner:
            names |= set(inner["properties"]) | _nested_names(inner)
    return names


def _expected_request(operation: dict) -> tuple[str | None, dict[str, bool], set[str]]:
    """The body schema's name, the top-level names (name -> optional), and nested names."""
    body_name, names, nested = None, {}, set()
    body = operation.get("requestBody")
    if body:
        body_name, schema = _schema(body["content"]["application/json"]["schema"]["$ref"])
        required = set(schema.get("required", ()))
        names |= {prop: prop not in required for prop in schema.get("properties", {})}
        nested = _nested_names(schema)
    for parameter in operation.get("parameters", ()):
        if parameter["in"] in ("query", "header"):
            names[parameter["name"]] = not parameter.get("required", False)
    return body_name, names, nested


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_request(operation_id):
    row, operation = _row(operation_id), OPERATIONS[operation_id][2]
    body_name, names, nested = _expected_request(operation)
    written = code_names(row.request)
    schemas_named = [name for name, _ in written if name in DOCUMENT["components"]["schemas"]]
    assert schemas_named == ([body_name] if body_name else []), (
        f"{row.where()}: the request names the body schema(s) {schemas_named}, but openapi.json "
        f"says {body_name or 'no body'}"
    )
    fields = {name: optional for name, optional in written if name != body_name}
    missing = sorted(set(names) - set(fields))
    unknown = sorted(set(fields) - set(names) - nested)
    assert not missing, f"{row.where()}: the request does not name {missing}"
    assert not unknown, f"{row.where()}: the request names {unknown}, which openapi.json lacks"
    wrong = sorted(name for name in names if fields[name] != names[name])
    assert not wrong, (
        f"{row.where()}: {wrong} marked wrongly: a `name`? is optional, a bare `name` required "
        f"(openapi.json: {', '.join(f'{n} optional' if names[n] else n for n in wrong)})"
    )


def test_error_codes_table():
    text = API_DOC.read_text(encoding="utf-8")
    error_tables = [t for t in tables(text) if t.header[:2] == ("code", "status")]
    assert len(error_tables) == 1, "docs/api.md needs one table of error codes (code | status)"
    table = error_tables[0]
    documented = {}
    for line, cells in table.rows:
        names = code_names(cells[0])
        assert len(names) == 1, f"docs/api.md line {line}: one `CODE` per row"
        documented[names[0][0]] = set(re.findall(r"\b\d{3}\b", cells[1]))
    enum = DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    codes = enum["code"]["enum"]
    assert sorted(documented) == sorted(codes), (
        f"docs/api.md's error codes {sorted(documented)} differ from openapi.json's {codes}"
    )
    raised = {cls.code: str(cls.status) for cls in vars(errors).values() if _is_api_error(cls)}
    for code, status in raised.items():
        assert documented[code] == {status}, (
            f"docs/api.md gives {code} the status {sorted(documented[code])}; the handlers "
            f"answer {status}"
        )
    assert "500" in documented["INTERNAL"], "INTERNAL must include 500"


def _is_api_error(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, errors.ApiError)
