"""The commands: python -m localcloud's command line and its subcommands (users, faults,
the API docs page, the soak)."""
