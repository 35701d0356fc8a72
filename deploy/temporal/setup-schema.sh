#!/bin/sh
# One-shot: create and migrate the `temporal` and `temporal_visibility` PostgreSQL schemas.
set -eu
for db in temporal temporal_visibility; do
  case "$db" in temporal) dir=temporal ;; *) dir=visibility ;; esac
  sql() { temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u "$POSTGRES_USER" --pw "$POSTGRES_PASSWORD" --db "$db" "$@"; }
  sql create || true   # already there on a re-run
  sql setup-schema -v 0.0
  sql update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
