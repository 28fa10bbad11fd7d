"""Causeway observe layer."""
