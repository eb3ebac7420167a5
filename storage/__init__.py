"""Persistence: SQLAlchemy 2.0 models, sessions and the queries the engine uses."""
