#!/usr/bin/env bash
# The suite's two passes side by side: on SQLite (everything), and on PostgreSQL (the tests whose
# database the settings choose). Most of a test's time is waiting on Temporal, the database or a
# browser, so two passes on two cores take far less than one after the other. Each pass has its own
# temp folder (pytest prunes older session folders: one pass must not delete the other's), and the
# PostgreSQL pass's output follows the SQLite pass's when both are done.
set -uo pipefail
cd "$(dirname "$0")/.."
pytest=.venv/bin/pytest
scratch=$(mktemp -d "${TMPDIR:-/tmp}/convoflow-tests-XXXXXX")
pg_log="$scratch/postgresql.log"

echo "== the suite on SQLite, and on PostgreSQL (pgserver) side by side; the PostgreSQL pass's output follows"
CONVOFLOW_TEST_DATABASE=postgresql "$pytest" --basetemp="$scratch/postgresql" -p no:cacheprovider "$@" \
    >"$pg_log" 2>&1 &
pg=$!
trap 'kill "$pg" 2>/dev/null' INT TERM
"$pytest" --basetemp="$scratch/sqlite" "$@"
sqlite_status=$?
wait "$pg"
pg_status=$?
echo
echo "== the suite again on PostgreSQL (pgserver): the tests whose database the settings choose"
cat "$pg_log"
rm -rf "$scratch"
echo "== SQLite pass: exit $sqlite_status; PostgreSQL pass: exit $pg_status"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
