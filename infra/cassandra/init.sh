#!/bin/bash
# One-shot `cassandra-init` of docker-compose.production.yml, after Cassandra is healthy and before
# `migrate`: replaces the superuser's well-known default password with the secret one (first run),
# then creates or updates the application's role. The role may create keyspaces; `migrate` creates
# the message store's and so owns it. Safe to run again (a rotated password is applied).
set -euo pipefail
admin_password="$(cat /run/secrets/cassandra-admin-password)"
app_password="$(cat /run/secrets/cassandra-password)"
for value in "$admin_password" "$app_password"; do
  # They are written into CQL string literals below.
  [[ "$value" =~ ^[A-Za-z0-9._~-]{16,}$ ]] || { echo "cassandra-init: passwords must be 16+ of A-Z a-z 0-9 . _ ~ -" >&2; exit 1; }
done

cql() { cqlsh cassandra 9042 --request-timeout=30 -u cassandra -p "$1" -e "$2"; }

if ! cql "$admin_password" 'SELECT release_version FROM system.local' >/dev/null 2>&1; then
  # A new cluster: the superuser still has the image's default password.
  cql cassandra "ALTER ROLE cassandra WITH PASSWORD = '$admin_password'"
  echo "cassandra-init: superuser password set"
fi
cql "$admin_password" "
  CREATE ROLE IF NOT EXISTS secureconnect WITH LOGIN = true AND PASSWORD = '$app_password';
  ALTER ROLE secureconnect WITH PASSWORD = '$app_password';
  GRANT CREATE ON ALL KEYSPACES TO secureconnect;"
echo "cassandra-init: role secureconnect ready"
