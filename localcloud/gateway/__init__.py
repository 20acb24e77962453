"""The local gateway: serves a REST API deployed on the emulator (see server.py)."""
