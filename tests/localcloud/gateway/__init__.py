"""Tests of localcloud/gateway."""
