#!/bin/bash
# cassandra-exporter's entrypoint in docker-compose.production.yml, instead of the image's run.sh,
# which prints every CASSANDRA_EXPORTER_CONFIG_* value (the JMX password included) to its log.
# infra/cassandra-exporter/config.yml is copied to a tmpfs and its empty `user:`/`password:` lines
# filled from the secret file (monitorRole: read-only JMX).
set -euo pipefail
umask 077
password="$(cat /run/secrets/cassandra-jmx-monitor-password)"
[[ "$password" =~ ^[A-Za-z0-9._~-]+$ ]] || { echo "cassandra-exporter: unexpected characters in the JMX password" >&2; exit 1; }
sed -e 's/^user:.*/user: monitorRole/' -e "s/^password:.*/password: $password/" \
  /etc/cassandra_exporter/config.yml > /tmp/config.yml
exec java ${JVM_OPTS:-} -jar /opt/cassandra_exporter/cassandra_exporter.jar /tmp/config.yml
