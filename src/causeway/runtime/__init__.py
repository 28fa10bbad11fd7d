"""Causeway runtime layer."""
