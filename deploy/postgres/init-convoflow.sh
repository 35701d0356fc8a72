#!/bin/sh
# First start of the PostgreSQL volume: convoflow's own database and role, beside Temporal's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE ${CONVOFLOW_DB_USER} LOGIN PASSWORD '${CONVOFLOW_DB_PASSWORD}';
CREATE DATABASE convoflow OWNER ${CONVOFLOW_DB_USER};
SQL
