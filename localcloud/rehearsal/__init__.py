"""The pipeline rehearsed: ``.github/workflows/`` run on an emulator of its own, each step as the
identity GitHub would have (``python -m localcloud rehearse``)."""
