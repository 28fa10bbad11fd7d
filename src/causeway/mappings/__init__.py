"""Mappings shipped with Causeway: `<system>/<object>.<canonical>.yaml`, loaded as package data."""
