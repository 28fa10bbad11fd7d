"""Causeway: keeps CRM and ERP systems in step."""

__version__ = "0.1.0"
