"""What the firewall answers when it blocks: each block action's custom response, in the
contract's error shape (``Firewall`` builds the web ACL's response bodies from it).

Plain data with no cdktf import, so that what only reads it (the local gateway's benchmark, the
tests of the local web ACL) does not start jsii's Node.js process."""

BLOCK_ANSWERS = {
    "forbidden": (403, "FORBIDDEN", "The request was refused by the firewall."),
    "too-many-requests": (
        429,
        "TOO_MANY_REQUESTS",
        "Too many requests from this address; try again in a few minutes.",
    ),
    "payload-too-large": (413, "PAYLOAD_TOO_LARGE", "The request body is over 64 KiB."),
}
"""Custom response body key -> (status, the contract's error code, message). WAF sends the body
as it is: it cannot carry the request's id."""
