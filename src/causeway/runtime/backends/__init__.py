"""Backbone implementations; `sql` serves SQLite (embedded) and PostgreSQL."""
