"""Backbone implementations: `sql` (SQLite embedded, PostgreSQL) and `jetstream` (NATS)."""
