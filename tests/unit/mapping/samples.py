"""Shared YAML fragments for mapping tests."""

from __future__ import annotations

HEADER = """\
version: 1
system: crm
object: Account
canonical: customer
key: Id
"""
"""The first five lines of a CRM Account mapping; rules start on line 6."""
