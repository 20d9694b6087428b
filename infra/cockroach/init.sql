-- One-shot `cockroach-init` of docker-compose.production.yml (run as root with its client
-- certificate, after the node is healthy and before `migrate`). Safe to run again.
--
-- The application's database and user. The user has no password: it authenticates with its
-- client certificate (secrets/cockroach/client.secureconnect.*, scripts/generate-certs.sh),
-- which DATABASE_URL names. `migrate` creates the tables as this user.
CREATE DATABASE IF NOT EXISTS secureconnect;
CREATE USER IF NOT EXISTS secureconnect;
GRANT ALL ON DATABASE secureconnect TO secureconnect;
GRANT ALL ON SCHEMA secureconnect.public TO secureconnect;

-- The backup job (service `backup`, scripts/backup-sql.sh): may back the database up, nothing
-- else; also certificate-authenticated (secrets/cockroach/client.backup.*).
CREATE USER IF NOT EXISTS backup;
GRANT BACKUP ON DATABASE secureconnect TO backup;
