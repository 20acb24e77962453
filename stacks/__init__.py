"""Infrastructure of the store API: configuration, constructs and the per-environment stack."""
