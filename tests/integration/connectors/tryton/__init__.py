"""Tryton connector tests against a real trytond."""
