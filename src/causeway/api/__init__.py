"""Causeway api layer."""
