"""Tests of the local cloud: the runner and the local gateway."""
