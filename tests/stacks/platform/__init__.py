"""Tests of stacks/platform."""
