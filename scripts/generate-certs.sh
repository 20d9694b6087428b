#!/usr/bin/env bash
# Certificates for CockroachDB's TLS (docker-compose.production.yml runs it with --certs-dir, never
# --insecure): a CA, the node certificate, and one client certificate per SQL user, made with
# openssl as CockroachDB documents for "Create security certificates using OpenSSL".
#
#   scripts/generate-certs.sh [OUT_DIR] [NODE_HOSTS] [SQL_USERS]
#     OUT_DIR     default ./certs; never inside the repository's tracked files (certs/ is ignored)
#     NODE_HOSTS  comma-separated names and IPs of the node, default cockroach,localhost,127.0.0.1
#     SQL_USERS   comma-separated client users besides root, default secureconnect,backup (the
#                 application and the backup job, docs/operations/backups.md)
#
# OUT_DIR is made 0700; certificates are 0644. The CA's, the node's and root's keys are 0600: only the CockroachDB
# containers (which run as root) read them, and CockroachDB refuses keys others can read. The
# other users' keys are 0644: docker-compose mounts secret files with their host owner and mode,
# and the containers reading them run as their own uid (10001 for the application, 999 for the
# backup job), so they must be readable there; the 0700 directory keeps other host users out.
# An existing CA is reused (so new clients can be added later), nothing else is overwritten.
# Rotate by generating into a new directory and rolling nodes over (docs/operations/tls.md).
set -euo pipefail

out="${1:-./certs}"
hosts="${2:-cockroach,localhost,127.0.0.1}"
users="${3:-secureconnect,backup}"
days_ca=3650
days_leaf=730

command -v openssl >/dev/null || { echo "generate-certs: openssl is required" >&2; exit 1; }
mkdir -p "$out"
chmod 700 "$out"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ ! -f "$out/ca.key" ]]; then
  openssl genrsa -out "$out/ca.key" 2048 2>/dev/null
  openssl req -new -x509 -key "$out/ca.key" -out "$out/ca.crt" -days "$days_ca" -sha256 \
    -subj "/O=SecureConnect/CN=SecureConnect CockroachDB CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,digitalSignature"
fi

# One leaf certificate signed by the CA: name, subject CN, extended key usage, SANs (optional).
leaf() {
  local name="$1" cn="$2" usage="$3" sans="${4:-}"
  [[ -f "$out/$name.crt" ]] && { echo "generate-certs: $out/$name.crt exists, kept" >&2; return; }
  openssl genrsa -out "$out/$name.key" 2048 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n "$sans" ]] && echo "subjectAltName=$sans"
  } > "$work/$name.ext"
  openssl req -new -key "$out/$name.key" -out "$work/$name.csr" -subj "/O=SecureConnect/CN=$cn"
  openssl x509 -req -in "$work/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -out "$out/$name.crt" -days "$days_leaf" -sha256 -extfile "$work/$name.ext" 2>/dev/null
}

sans=""
IFS=',' read -ra names <<< "$hosts"
for host in "${names[@]}"; do
  if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then sans+="IP:$host,"; else sans+="DNS:$host,"; fi
done
# The node certificate serves clients and other nodes: server and client usage, CN=node.
leaf node node "serverAuth,clientAuth" "${sans%,}"
IFS=',' read -ra clients <<< "root,$users"
for user in "${clients[@]}"; do leaf "client.$user" "$user" "clientAuth"; done
chmod 600 "$out"/*.key
chmod 644 "$out"/*.crt
IFS=',' read -ra app_users <<< "$users"
for user in "${app_users[@]}"; do chmod 644 "$out/client.$user.key"; done
rm -f "$out/ca.srl"
echo "generate-certs: certificates for ${hosts} and users root,${users} in ${out}"
