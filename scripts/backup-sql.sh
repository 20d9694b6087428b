#!/usr/bin/env bash
# Backs up the SQL database DATABASE_URL names (or the file DATABASE_URL_FILE names), whichever
# server it is (docs/operations/backups.md; restore with scripts/restore-sql.sh):
#
#   PostgreSQL   pg_dump's custom format into BACKUP_DIR (default ./backups) as
#                <database>-<UTC time>.dump; the newest BACKUP_KEEP (default 14) of this
#                database's dumps are kept. scripts/backup.test.ts takes one, restores it into a
#                fresh database and compares every table.
#   CockroachDB  BACKUP DATABASE <database> INTO the collection s3://BACKUP_S3_BUCKET/BACKUP_S3_PREFIX
#                (default prefix cockroach) at BACKUP_S3_ENDPOINT (MinIO; unset: AWS S3), with the
#                keys BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY (or their _FILE):
#                the node itself writes the files, consistent as of 10 s ago. Each run is a full
#                backup in its own dated folder of the collection; expiry is the bucket's
#                (minio-init sets it). The statement, as CockroachDB documents it:
#                  BACKUP DATABASE "secureconnect" INTO 's3://<bucket>/<prefix>?AWS_ACCESS_KEY_ID=…
#                    &AWS_SECRET_ACCESS_KEY=…&AWS_REGION=…&AWS_ENDPOINT=…' AS OF SYSTEM TIME '-10s';
#                With AWS_ENDPOINT set, CockroachDB addresses the bucket path-style, as MinIO needs.
#                No CockroachDB runs in the tests: this branch is exercised only by the
#                compose file's `backup` service.
#
# The `backup` service of docker-compose.production.yml runs this every BACKUP_INTERVAL_SECONDS.
# Prints where the backup went; on failure exits 1 with one line on stderr.
set -euo pipefail

fail() { echo "backup-sql: $*" >&2; exit 1; }
# shellcheck source=lib/sql-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/sql-backup.sh"

url="$(secret DATABASE_URL)"
[[ -n "$url" ]] || fail "set DATABASE_URL or DATABASE_URL_FILE"
command -v psql >/dev/null || fail "psql is required (Debian package postgresql-client)"
version="$(psql "$url" -XAtqc 'SELECT version()' 2>"$errors")" || fail "cannot query the database: $(folded)"
database="$(psql "$url" -XAtqc 'SELECT current_database()' 2>"$errors")" || fail "cannot query the database: $(folded)"

if [[ "$version" == CockroachDB* ]]; then
  cockroach_collection
  # Through stdin, so the keys never appear on a command line; CockroachDB redacts them in SHOW JOBS.
  psql "$url" -XAtq -v ON_ERROR_STOP=1 >/dev/null 2>"$errors" <<SQL \
    || fail "CockroachDB: BACKUP of $database into $collection failed: $(folded)"
BACKUP DATABASE "$database" INTO '$location' AS OF SYSTEM TIME '-10s';
SQL
  echo "backup-sql: $database backed up into $collection (CockroachDB)"
else
  command -v pg_dump >/dev/null || fail "pg_dump is required (Debian package postgresql-client)"
  dir="${BACKUP_DIR:-./backups}"
  keep="${BACKUP_KEEP:-14}"
  [[ "$keep" =~ ^[1-9][0-9]*$ ]] || fail "BACKUP_KEEP must be a whole number above 0"
  mkdir -p "$dir" 2>"$errors" || fail "cannot create $dir: $(folded)"
  file="$dir/$database-$(date -u +%Y%m%dT%H%M%SZ).dump"
  # Written aside and renamed, so a dump that stopped halfway is never taken for a backup (and
  # the EXIT trap removes it).
  partial="$file.partial"
  pg_dump --format=custom --file="$partial" "$url" 2>"$errors" || fail "pg_dump of $database failed: $(folded)"
  mv "$partial" "$file"
  partial=""
  # Only this database's dumps, by their exact name pattern (a database `app` must not prune
  # `app-staging-….dump`); the UTC time in the name sorts them oldest first.
  find "$dir" -maxdepth 1 -type f -name "$database-????????T??????Z.dump" -print | sort -r \
    | tail -n +"$((keep + 1))" | while read -r old; do rm -f -- "$old"; done
  echo "$file"
fi
