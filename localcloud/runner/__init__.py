"""Bringing the local cloud up and down: the lifecycle, the claim on a project, serving the
gateway, and watch mode."""
