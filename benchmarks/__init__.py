"""Benchmarks and scenario measurements: `make bench` (python -m benchmarks)."""
