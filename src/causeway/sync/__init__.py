"""Causeway sync layer."""
