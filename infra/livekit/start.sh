#!/bin/sh
# LiveKit's entrypoint in docker-compose.production.yml: keys from the secret files (never in the
# repository or the compose file), the config with the webhook's key filled in, on a tmpfs.
set -eu
key="$(cat /run/secrets/livekit-api-key)"
secret="$(cat /run/secrets/livekit-api-secret)"
case "$key" in *[!A-Za-z0-9_-]*|'') echo "livekit: livekit-api-key must be letters, digits, _ or -" >&2; exit 1 ;; esac
umask 077
sed "s/__LIVEKIT_API_KEY__/$key/" /etc/livekit/livekit.yaml > /tmp/livekit.yaml
# The keys reach LiveKit through its environment, not its command line (visible in ps).
LIVEKIT_KEYS="$key: $secret"
export LIVEKIT_KEYS
if [ -n "${LIVEKIT_NODE_IP:-}" ]; then
  exec /livekit-server --config /tmp/livekit.yaml --node-ip "$LIVEKIT_NODE_IP"
fi
exec /livekit-server --config /tmp/livekit.yaml
