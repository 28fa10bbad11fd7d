"""Causeway canonical layer."""
