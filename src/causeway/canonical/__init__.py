"""Canonical business objects and their versioned JSON Schemas."""
