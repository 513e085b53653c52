"""Measurements: each reproducible by one CLI command."""
