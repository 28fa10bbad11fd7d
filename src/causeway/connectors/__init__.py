"""Causeway connectors layer."""
