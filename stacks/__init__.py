"""Infrastructure of the store API: configuration, reusable constructs and the per-environment stack."""
