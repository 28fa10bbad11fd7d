"""Causeway's own state: SQLAlchemy tables, engines and Alembic migrations."""
