#!/bin/bash
# Cassandra's entrypoint in docker-compose.production.yml. Runs as root before the image's own
# entrypoint (which drops to the cassandra user):
#  - password authentication and authorization on (the image's cassandra.yaml allows everyone);
#    cassandra-init then sets the superuser's password and creates the application's role;
#  - JMX over the network (LOCAL_JMX=no) for cassandra-exporter (monitorRole, read-only) and
#    operators' nodetool (controlRole), with passwords from the secret files in a file only the
#    cassandra user reads.
set -euo pipefail
conf=/etc/cassandra
sed -i \
  -e 's/^authenticator:.*/authenticator: PasswordAuthenticator/' \
  -e 's/^authorizer:.*/authorizer: CassandraAuthorizer/' \
  "$conf/cassandra.yaml"
umask 077
printf 'monitorRole %s\ncontrolRole %s\n' \
  "$(cat /run/secrets/cassandra-jmx-monitor-password)" \
  "$(cat /run/secrets/cassandra-jmx-control-password)" > "$conf/jmxremote.password"
chown cassandra:cassandra "$conf/jmxremote.password"
chmod 400 "$conf/jmxremote.password"
exec docker-entrypoint.sh cassandra -f
