"""Tests of localcloud/lambdas."""
