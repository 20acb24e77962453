"""Tests of stacks/base."""
