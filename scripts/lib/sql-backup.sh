# Shared by scripts/backup-sql.sh and scripts/restore-sql.sh (sourced; not run alone). The
# sourcing script defines fail(), which prints its one line and exits 1.

# secret NAME: $NAME, or else the contents of the file $NAME_FILE (a Docker secret).
secret() {
  local file_var="$1_FILE"
  if [[ -n "${!1:-}" ]]; then printf '%s' "${!1}"
  elif [[ -n "${!file_var:-}" ]]; then
    [[ -r "${!file_var}" ]] || fail "$file_var: cannot read ${!file_var}"
    tr -d '\n' < "${!file_var}"
  fi
}

# urlencode VALUE: percent-encoded for a URL query, which also keeps it inside a SQL string literal.
urlencode() {
  # Byte by byte: a multibyte character becomes its UTF-8 bytes, each encoded.
  local LC_ALL=C value="$1" out="" char i
  for ((i = 0; i < ${#value}; i++)); do
    char="${value:i:1}"
    if [[ "$char" =~ [A-Za-z0-9._~-] ]]; then out+="$char"; else out+="$(printf '%%%02X' "'$char")"; fi
  done
  printf '%s' "$out"
}

# A failing tool's stderr goes to $errors, to be folded into the one line the script prints; a
# half-written file the script names in $partial is removed on exit.
errors="$(mktemp)"
partial=""
trap 'rm -f -- "$errors" ${partial:+"$partial"}' EXIT
folded() { tr -s '\n\t ' '   ' < "$errors" | sed -e 's/ *$//'; }

# cockroach_collection: sets $collection (s3://BACKUP_S3_BUCKET/BACKUP_S3_PREFIX) and $location
# (the collection with its AWS_* parameters) from the BACKUP_S3_* settings, for BACKUP … INTO and
# RESTORE … IN. The keys are percent-encoded, as CockroachDB asks of location parameters (a
# secret may hold + or /); bucket and prefix form the URL's host and path inside a SQL literal.
cockroach_collection() {
  local bucket="${BACKUP_S3_BUCKET:-}" prefix="${BACKUP_S3_PREFIX:-cockroach}" key secret_key query
  key="$(secret BACKUP_S3_ACCESS_KEY_ID)"
  secret_key="$(secret BACKUP_S3_SECRET_ACCESS_KEY)"
  [[ -n "$bucket" && -n "$key" && -n "$secret_key" ]] \
    || fail "CockroachDB: set BACKUP_S3_BUCKET, BACKUP_S3_ACCESS_KEY_ID(_FILE) and BACKUP_S3_SECRET_ACCESS_KEY(_FILE)"
  for value in "$bucket" "$prefix"; do
    [[ "$value" =~ ^[A-Za-z0-9._~/-]+$ ]] || fail "CockroachDB: bucket and prefix may hold only A-Z a-z 0-9 . _ ~ / -"
  done
  collection="s3://$bucket/$prefix"
  query="AWS_ACCESS_KEY_ID=$(urlencode "$key")&AWS_SECRET_ACCESS_KEY=$(urlencode "$secret_key")"
  query+="&AWS_REGION=$(urlencode "${BACKUP_S3_REGION:-us-east-1}")"
  if [[ -n "${BACKUP_S3_ENDPOINT:-}" ]]; then query+="&AWS_ENDPOINT=$(urlencode "$BACKUP_S3_ENDPOINT")"; fi
  location="$collection?$query"
}
