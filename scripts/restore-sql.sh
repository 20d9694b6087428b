#!/usr/bin/env bash
# Restores what scripts/backup-sql.sh backed up, always into a new database, never over the one in
# use (docs/operations/backups.md):
#
#   scripts/restore-sql.sh DUMP_FILE TARGET_URL
#     PostgreSQL: restores the pg_dump file into the database TARGET_URL names, which must exist and
#     be empty (createdb it first); a target holding any table, view or sequence is refused, and
#     there is no flag to force it. Objects belong to TARGET_URL's user (--no-owner); it all
#     happens in one transaction, so a failure leaves the target empty. scripts/backup.test.ts
#     runs this path.
#
#   scripts/restore-sql.sh --cockroach NEW_DATABASE [BACKUP]
#     CockroachDB: restores database BACKUP_DATABASE (default secureconnect) as NEW_DATABASE from the
#     collection backup-sql.sh writes (the same BACKUP_S3_* settings), the LATEST backup unless
#     BACKUP names another (SHOW BACKUPS IN '<collection>' lists them, e.g. /2025/01/31-120000.00):
#       RESTORE DATABASE "secureconnect" FROM LATEST IN 's3://<bucket>/<prefix>?AWS_…'
#         WITH new_db_name = 'NEW_DATABASE';
#     RESTORE refuses a NEW_DATABASE that exists. DATABASE_URL (or DATABASE_URL_FILE) must name an
#     admin, e.g. root with its client certificate. No CockroachDB runs in the tests: this branch
#     is not exercised by them.
#
# Then point the application at the restored database (docs/operations/backups.md). Exits 1 with
# one line on stderr on failure.
set -euo pipefail

fail() { echo "restore-sql: $*" >&2; exit 1; }
usage() { fail "usage: restore-sql.sh DUMP_FILE TARGET_URL | restore-sql.sh --cockroach NEW_DATABASE [BACKUP]"; }
# shellcheck source=lib/sql-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/sql-backup.sh"

command -v psql >/dev/null || fail "psql is required (Debian package postgresql-client)"

if [[ "${1:-}" == --cockroach ]]; then
  [[ $# -ge 2 && $# -le 3 ]] || usage
  target="$2"
  backup="${3:-LATEST}"
  source="${BACKUP_DATABASE:-secureconnect}"
  url="$(secret DATABASE_URL)"
  [[ -n "$url" ]] || fail "set DATABASE_URL or DATABASE_URL_FILE"
  for value in "$target" "$source"; do
    [[ "$value" =~ ^[a-z_][a-z0-9_]*$ ]] || fail "database names: lowercase letters, digits and _"
  done
  # The backup's folder, inside a SQL string literal.
  [[ "$backup" =~ ^[A-Za-z0-9._~/-]+$ ]] || fail "backup may hold only A-Z a-z 0-9 . _ ~ / -"
  cockroach_collection
  from="'$backup'"
  [[ "$backup" == LATEST ]] && from=LATEST
  psql "$url" -XAtq -v ON_ERROR_STOP=1 >/dev/null 2>"$errors" <<SQL \
    || fail "CockroachDB: RESTORE of $source as $target failed: $(folded)"
RESTORE DATABASE "$source" FROM $from IN '$location' WITH new_db_name = '$target';
SQL
  echo "restore-sql: $source restored from $collection ($backup) as $target"
  exit 0
fi

[[ $# -eq 2 ]] || usage
file="$1"
target="$2"
[[ -f "$file" ]] || fail "no such file: $file"
command -v pg_restore >/dev/null || fail "pg_restore is required (Debian package postgresql-client)"
relations="$(psql "$target" -XAtqc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'" 2>"$errors")" || fail "cannot query the target: $(folded)"
[[ "$relations" == 0 ]] || fail "the target database is not empty ($relations relations): restore into a new one"
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$target" "$file" 2>"$errors" \
  || fail "pg_restore failed, the target is unchanged: $(folded)"
echo "restore-sql: $file restored"
