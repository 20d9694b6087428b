#!/usr/bin/env bash
# Creates the secret files docker-compose.production.yml mounts (docs/operations/secrets-and-keys.md):
# random passwords and keys, the CockroachDB certificates (scripts/generate-certs.sh), and a
# self-signed certificate for the router until a real one replaces it.
#
#   SMTP_URL='smtps://user:…@smtp.example.com:465' PUBLIC_HOST=chat.example.com scripts/create-secrets.sh [DIR]
#     DIR                 default ./secrets (git-ignored; never commit it, back it up apart from the data)
#     SMTP_URL            the mail relay, written to DIR/smtp-url (required unless that file exists)
#     PUBLIC_HOST         the name clients use, for the self-signed router certificate (default localhost)
#     ALERT_WEBHOOK_URL   the incoming webhook Alertmanager posts critical alerts to (and warnings,
#                         unless ALERT_WARNING_WEBHOOK_URL names another); empty: alerts are not sent
#
# A file that exists is kept, so running it again only adds what is missing; to rotate a secret,
# follow secrets-and-keys.md (most need more than deleting the file). Files are 0644 in a 0700
# directory: docker-compose mounts secret files with their host owner and mode, and the
# containers reading them run as their own users, while the directory keeps other host users out.
set -euo pipefail

dir="${1:-./secrets}"
command -v openssl >/dev/null || { echo "create-secrets: openssl is required" >&2; exit 1; }
mkdir -p "$dir"
chmod 700 "$dir"
created=()

# put NAME VALUE: writes VALUE (a line; nothing when empty) to DIR/NAME unless that exists.
put() {
  local file="$dir/$1"
  [[ -e "$file" ]] && return
  if [[ -n "$2" ]]; then printf '%s\n' "$2" > "$file.new"; else : > "$file.new"; fi
  chmod 644 "$file.new"
  mv "$file.new" "$file"
  created+=("$1")
}
# random BYTES: that many random bytes, hex-encoded (safe in URLs, CQL and config files).
random() { openssl rand -hex "$1"; }
# value NAME: a secret already written (or just written) under DIR.
value() { cat "$dir/$1"; }

if [[ ! -e "$dir/smtp-url" && -z "${SMTP_URL:-}" ]]; then
  echo "create-secrets: set SMTP_URL (the mail relay for account emails), e.g. smtps://user:password@smtp.example.com:465" >&2
  exit 1
fi
put smtp-url "${SMTP_URL:-}"

# Redis: the server's password, the URL the application uses, the exporter's password file.
put redis-password "$(random 32)"
put redis-url "redis://:$(value redis-password)@redis:6379/0"
put redis-exporter-passwords "{\"redis://redis:6379\":\"$(value redis-password)\"}"

# CockroachDB: certificates (the application and the backup job authenticate with theirs) and
# the URL naming the application's, where the compose file mounts them.
if [[ ! -e "$dir/cockroach/ca.crt" ]]; then
  "$(dirname "$0")/generate-certs.sh" "$dir/cockroach" cockroach,localhost,127.0.0.1 secureconnect,backup >/dev/null
  created+=("cockroach/ (CA, node, root, secureconnect, backup)")
fi
put database-url 'postgres://secureconnect@cockroach:26257/secureconnect?sslmode=verify-full&sslrootcert=/run/secrets/cockroach-ca-crt&sslcert=/run/secrets/cockroach-client-crt&sslkey=/run/secrets/cockroach-client-key'

# Access tokens: an Ed25519 key pair (the private key only reaches the functions that issue tokens).
if [[ ! -e "$dir/jwt-private-key" ]]; then
  put jwt-private-key "$(openssl genpkey -algorithm ed25519)"
  rm -f "$dir/jwt-public-key"
fi
put jwt-public-key "$(openssl pkey -in "$dir/jwt-private-key" -pubout)"

# MinIO: root credentials (used only by minio-init), the KMS key every object is encrypted with
# (lose it and the files are lost), the application's and the backup job's users.
put minio-root-user "sc-admin-$(random 4)"
put minio-root-password "$(random 20)"
put minio-kms-key "secureconnect-kms:$(openssl rand -base64 32)"
put s3-access-key-id "sc-app-$(random 4)"
put s3-secret-access-key "$(random 20)"
put backup-s3-access-key-id "sc-backup-$(random 4)"
put backup-s3-secret-access-key "$(random 20)"

# Calls: LiveKit's API key and secret, coturn's shared secret.
put livekit-api-key "API$(random 6)"
put livekit-api-secret "$(random 32)"
put turn-secret "$(random 32)"

# Cassandra: the application's role, the superuser, JMX (exporter read-only, operators read-write).
put cassandra-password "$(random 24)"
put cassandra-admin-password "$(random 24)"
put cassandra-jmx-monitor-password "$(random 24)"
put cassandra-jmx-control-password "$(random 24)"

put grafana-admin-password "$(random 24)"

# Alerts (infra/alertmanager/alertmanager.yml): the Slack-compatible incoming webhooks. Empty, the
# receivers fail to send and Prometheus shows AlertmanagerNotificationsFailing.
put alertmanager-critical-webhook-url "${ALERT_WEBHOOK_URL:-}"
put alertmanager-warning-webhook-url "${ALERT_WARNING_WEBHOOK_URL:-${ALERT_WEBHOOK_URL:-}}"
if [[ ! -s "$dir/alertmanager-critical-webhook-url" ]]; then
  echo "create-secrets: alertmanager-critical-webhook-url is empty: no alert is sent until it holds your webhook URL" >&2
fi

# The router's TLS certificate (also coturn's for turns:): self-signed until replaced by a real one
# (docs/operations/tls.md). Clients reject it; it only lets the stack start.
if [[ ! -e "$dir/router-tls-crt" ]]; then
  host="${PUBLIC_HOST:-localhost}"
  san="DNS:$host"
  [[ "$host" =~ ^[0-9.]+$ ]] && san="IP:$host"
  work="$(mktemp -d)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 90 \
    -subj "/CN=$host" -addext "subjectAltName=$san" -keyout "$work/key" -out "$work/crt" 2>/dev/null
  rm -f "$dir/router-tls-key"
  put router-tls-key "$(cat "$work/key")"
  put router-tls-crt "$(cat "$work/crt")"
  rm -rf "$work"
  echo "create-secrets: router-tls-crt is self-signed for $host; replace it and router-tls-key with a real certificate" >&2
fi

# Optional integrations: empty reads as unset (push to the log, AI off). Replace with the real files.
put fcm-service-account ''
put apns-key ''
put ai-api-key ''

if [[ ${#created[@]} -gt 0 ]]; then
  echo "create-secrets: created in $dir: ${created[*]}"
else
  echo "create-secrets: every secret already exists in $dir"
fi
