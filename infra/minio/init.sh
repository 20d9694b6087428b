#!/bin/sh
# One-shot `minio-init` of docker-compose.production.yml, after MinIO is healthy: the drive's bucket
# and the backups' bucket, both encrypted at rest by default (SSE-S3 with the KMS key MinIO was
# started with), backups expiring after BACKUP_RETENTION_DAYS, and two users limited to their
# bucket: the application's (s3-access-key-id) and the backup job's (backup-s3-access-key-id).
# Safe to run again. Credentials come from secret files and reach mc through its environment.
set -eu
secret() { cat "/run/secrets/$1"; }
MC_HOST_sc="http://$(secret minio-root-user):$(secret minio-root-password)@minio:9000"
export MC_HOST_sc
mc() { command mc --config-dir /tmp/.mc --quiet "$@"; }

mc mb --ignore-existing "sc/$S3_BUCKET" "sc/$BACKUP_BUCKET"
mc encrypt set sse-s3 "sc/$S3_BUCKET"
mc encrypt set sse-s3 "sc/$BACKUP_BUCKET"
printf '{"Rules":[{"ID":"expire-backups","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":%d}}]}\n' \
  "$BACKUP_RETENTION_DAYS" > /tmp/lifecycle.json
mc ilm import "sc/$BACKUP_BUCKET" < /tmp/lifecycle.json

# policy NAME BUCKET ACTIONS: read and write objects of one bucket, and list it.
policy() {
  printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[%s],"Resource":["arn:aws:s3:::%s/*"]},{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket","s3:ListBucketMultipartUploads"],"Resource":["arn:aws:s3:::%s"]}]}\n' \
    "$3" "$2" "$2" > "/tmp/$1.json"
  mc admin policy create sc "$1" "/tmp/$1.json"
}
# user KEY-SECRET-NAME SECRET-SECRET-NAME POLICY
user() {
  key="$(secret "$1")"
  mc admin user add sc "$key" "$(secret "$2")"
  mc admin policy attach sc "$3" --user "$key" 2>/dev/null \
    || mc admin user info sc "$key" | grep -q "$3"
}
objects='"s3:GetObject","s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"'
policy secureconnect-drive "$S3_BUCKET" "$objects"
policy secureconnect-backups "$BACKUP_BUCKET" "$objects"
user s3-access-key-id s3-secret-access-key secureconnect-drive
user backup-s3-access-key-id backup-s3-secret-access-key secureconnect-backups
echo "minio-init: buckets $S3_BUCKET and $BACKUP_BUCKET (SSE-S3), users and policies ready"
