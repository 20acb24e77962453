"""The HTTP layer of the API's functions: the router and its responses, the caller's
identity and request validation."""
