"""Tests of stacks/store."""
