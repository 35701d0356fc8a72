"""The control-plane database: packs, tenants and keys, the delivery ledger, inbound dedup, the local
CRM and the outbox, in SQLite (embedded default) or PostgreSQL (a cluster), through SQLAlchemy."""
