"""Storage of Partnerbot: SQLAlchemy models (``storage.models``), ``SqlStore``, the SQL
implementation of ``flows.ports.PlanStore`` (``storage.store``, ``storage.session``) over a
driver per database (``storage.sqlite_driver``, ``storage.pg_driver``) running the statements
of ``storage.statements``, and Alembic migrations driven from code (``storage.migrate``).
"""
