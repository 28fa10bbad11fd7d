"""Causeway processes layer."""
