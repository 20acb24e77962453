"""Matching a request path to a deployed resource, as API Gateway does.

Literal path parts win over ``{param}`` parts, which win over a greedy ``{name+}``; a greedy
part takes one or more of the remaining segments. A method falls back to ``ANY``.
"""

from __future__ import annotations

from dataclasses import dataclass

from localcloud.gateway.model import Method, Resource


@dataclass
class Route:
    """A matched resource, its path parameters, and the method (None: no such method)."""

    resource: Resource
    path_parameters: dict[str, str]
    method: Method | None


def _kind(part: str) -> int:
    if part.startswith("{") and part.endswith("+}"):
        return 2
    if part.startswith("{") and part.endswith("}"):
        return 1
    return 0


def _match(node: Resource, segments: list[str], params: dict[str, str]):
    if not segments:
        return node, params
    head, rest = segments[0], segments[1:]
    for child in sorted(node.children, key=lambda c: _kind(c.path_part)):
        kind = _kind(child.path_part)
        if kind == 0 and child.path_part == head:
            found = _match(child, rest, params)
        elif kind == 1:
            found = _match(child, rest, {**params, child.path_part[1:-1]: head})
        elif kind == 2:
            found = child, {**params, child.path_part[1:-2]: "/".join(segments)}
        else:
            continue
        if found:
            return found
    return None


def find_route(root: Resource, path: str, http_method: str) -> Route | None:
    """The route for ``path`` (without the stage), or None when no resource matches."""
    segments = [s for s in path.split("/") if s != ""]
    found = _match(root, segments, {})
    if not found:
        return None
    resource, params = found
    method = resource.methods.get(http_method.upper()) or resource.methods.get("ANY")
    return Route(resource=resource, path_parameters=params, method=method)
