"""Causeway console layer."""
