"""Storage of Partnerbot: SQLAlchemy models (``storage.models``), ``SqlStore``, the SQL
implementation of ``flows.ports.PlanStore`` (``storage.store``), engines for SQLite and
PostgreSQL (``storage.db``) and Alembic migrations driven from code (``storage.migrate``).
"""
