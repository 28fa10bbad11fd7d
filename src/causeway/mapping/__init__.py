"""Causeway mapping layer."""
