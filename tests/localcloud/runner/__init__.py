"""Tests of localcloud/runner."""
