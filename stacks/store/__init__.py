"""The store itself: its constructs (network, tables, functions, API, firewall, identity,
events, monitoring, encryption) and the per-environment stack that assembles them."""
