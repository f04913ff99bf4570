#!/usr/bin/env bash
# Runs once, on the first start of the postgres container (empty data volume), from /docker-entrypoint-initdb.d.
# Creates one role and one database per application, each reachable by its own roles only:
#   cameleer_saas / cameleer_saas  (password CAMELEER_SAAS_DB_PASSWORD)
#   logto         / logto          (password LOGTO_DB_PASSWORD)
# Passwords come from the container environment (deploy/env/postgres.env) or from *_FILE variables pointing at
# mounted secrets; they are passed to psql as variables and quoted by psql (:'var'), never spliced into SQL text.
# test/deploy/postgres-initdb.spec.ts runs this script on a throwaway cluster and tries every role on every database.
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

as_superuser() {
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres "$@"
}

cameleer_password="$(read_secret CAMELEER_SAAS_DB_PASSWORD)"
logto_password="$(read_secret LOGTO_DB_PASSWORD)"

as_superuser -v cameleer_password="$cameleer_password" -v logto_password="$logto_password" <<'SQL'
-- cameleer-saas: owns its database; migrations create the schema objects.
CREATE ROLE cameleer_saas LOGIN PASSWORD :'cameleer_password';
CREATE DATABASE cameleer_saas OWNER cameleer_saas ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE cameleer_saas FROM PUBLIC;

-- logto: `logto db seed` creates Logto's own roles (hence CREATEROLE), and Logto core connects as them: the group
-- role logto_tenant_logto and its members logto_tenant_logto_default and logto_tenant_logto_admin. They cannot be
-- created or granted anything here (the seed fails if they exist), so PUBLIC keeps CONNECT on this database (without
-- it every Logto request is a 500), and pg_hba.conf (below) admits only logto and the members of logto_tenant_logto.
CREATE ROLE logto LOGIN CREATEROLE PASSWORD :'logto_password';
CREATE DATABASE logto OWNER logto ENCODING 'UTF8' TEMPLATE template0;
SQL

# pg_hba.conf takes the first line that matches, and resolves +group when a client connects, so roles that Logto's
# seed creates later are admitted. The method is the one the image's entrypoint chose for its `host all all all` line.
hba_file="$(as_superuser -tAc 'SHOW hba_file')"
auth_method="${POSTGRES_HOST_AUTH_METHOD:-$(as_superuser -tAc 'SHOW password_encryption')}"
hba_new="$(mktemp "${hba_file}.XXXXXX")"
{
  printf '# 10-create-databases.sh: the logto database admits only its owner and the roles of Logto'"'"'s seed.\n'
  printf 'host logto logto,+logto_tenant_logto all %s\n' "$auth_method"
  printf 'host logto all all reject\n\n'
  cat -- "$hba_file"
} >"$hba_new"
mv -- "$hba_new" "$hba_file"
as_superuser -qtAc 'SELECT pg_reload_conf()' >/dev/null

echo "10-create-databases.sh: created roles and databases cameleer_saas and logto"
