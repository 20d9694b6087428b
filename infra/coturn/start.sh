#!/bin/bash
# coturn's entrypoint in docker-compose.production.yml: turnserver.conf plus the shared secret from
# the secret file (and the public address, when given), written to a tmpfs only this user reads.
set -euo pipefail
umask 077
{
  cat /etc/coturn/turnserver.conf
  printf 'static-auth-secret=%s\n' "$(cat /run/secrets/turn-secret)"
  # Behind Docker's NAT coturn must announce the host's public address: TURN_EXTERNAL_IP
  # (public, or public/private) from the operator's .env.
  if [[ -n "${TURN_EXTERNAL_IP:-}" ]]; then printf 'external-ip=%s\n' "$TURN_EXTERNAL_IP"; fi
} > /tmp/turnserver.conf
exec turnserver -c /tmp/turnserver.conf
