"""Tests of the project's scripts."""
