"""What every function shares at run time: logging and tracing (observability) and the
time (clock)."""
