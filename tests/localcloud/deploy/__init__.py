"""Tests of localcloud/deploy."""
