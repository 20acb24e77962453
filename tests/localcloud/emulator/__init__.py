"""Tests of localcloud/emulator."""
