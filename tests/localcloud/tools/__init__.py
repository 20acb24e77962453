"""Tests of localcloud/tools."""
