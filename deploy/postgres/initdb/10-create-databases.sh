#!/usr/bin/env bash
# Runs once, on the first start of the postgres container (empty data volume), from /docker-entrypoint-initdb.d.
# Creates one role and one database per application:
#   cameleer_saas / cameleer_saas  (password CAMELEER_SAAS_DB_PASSWORD)
#   logto         / logto          (password LOGTO_DB_PASSWORD)
# Passwords come from the container environment (deploy/env/postgres.env) or from *_FILE variables pointing at
# mounted secrets; they are passed to psql as variables and quoted by psql (:'var'), never spliced into SQL text.
set -euo pipefail

read_secret() {
  local name="$1" file_var="${1}_FILE"
  if [[ -n "${!file_var:-}" ]]; then
    cat -- "${!file_var}"
  elif [[ -n "${!name:-}" ]]; then
    printf '%s' "${!name}"
  else
    echo "10-create-databases.sh: ${name} (or ${file_var}) must be set" >&2
    exit 1
  fi
}

cameleer_password="$(read_secret CAMELEER_SAAS_DB_PASSWORD)"
logto_password="$(read_secret LOGTO_DB_PASSWORD)"

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v cameleer_password="$cameleer_password" \
  -v logto_password="$logto_password" <<'SQL'
-- cameleer-saas: owns its database; migrations create the schema objects.
CREATE ROLE cameleer_saas LOGIN PASSWORD :'cameleer_password';
CREATE DATABASE cameleer_saas OWNER cameleer_saas ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE cameleer_saas FROM PUBLIC;

-- logto: `logto db seed` creates its own tenant roles (logto_tenant_*), hence CREATEROLE.
CREATE ROLE logto LOGIN CREATEROLE PASSWORD :'logto_password';
CREATE DATABASE logto OWNER logto ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE logto FROM PUBLIC;
SQL

echo "10-create-databases.sh: created roles and databases cameleer_saas and logto"
