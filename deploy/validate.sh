#!/usr/bin/env bash
# Validates docker-compose.prod.yml without a Docker engine:
#   1. docker-compose 1.29 (Debian) `config -q`: schema, interpolation, env files, cross-references;
#   2. the same with a required value missing: must fail (the ${VAR?message} guards work);
#   3. dclint (compose-spec schema + best-practice rules, config in .dclintrc): zero errors.
# Uses the committed example env files (deploy/env/*.env.example), copied to a temporary directory under their
# real names, so no real env file is needed or touched. Safe to call from CI: installs docker-compose with
# apt-get when it is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
compose_file="docker-compose.prod.yml"

log() { printf '==> %s\n' "$*"; }

if ! command -v docker-compose >/dev/null 2>&1; then
  log "docker-compose not found: installing Debian's docker-compose with apt-get"
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

env_dir="$(mktemp -d)"
trap 'rm -rf "$env_dir"' EXIT
for example in deploy/env/*.env.example; do
  cp "$example" "$env_dir/$(basename "$example" .example)"
done
# Interpolation must not pick up values from the caller's shell or a stray .env: start from a clean slate.
unset_vars=(API_HOST LOGTO_HOST LOGTO_ADMIN_HOST LOGTO_ADMIN_ALLOWED_CIDRS TENANT_BASE_DOMAIN ACME_EMAIL
  ACME_CA_SERVER ACME_DNS_PROVIDER ACME_DNS_RESOLVERS CAMELEER_SAAS_VERSION LOGTO_VERSION CAMELEER3_SERVER_IMAGE
  CAMELEER3_SERVER_PORT CAMELEER3_SERVER_HEALTH_PATH CAMELEER_KEYS_DIR EDGE_SUBNET COMPOSE_FILE COMPOSE_PROFILES)
for var in "${unset_vars[@]}"; do unset "$var"; done
export CAMELEER_ENV_DIR="$env_dir"

log "$(docker-compose version --short 2>/dev/null || docker-compose version | head -n1): config -q with the example env files"
docker-compose --env-file "$env_dir/stack.env" -f "$compose_file" config -q
docker-compose --env-file "$env_dir/stack.env" -f "$compose_file" --profile tools config -q
log "config: ok"

log "required values are enforced (API_HOST removed must fail)"
grep -v '^API_HOST=' "$env_dir/stack.env" >"$env_dir/missing.env"
if output="$(docker-compose --env-file "$env_dir/missing.env" -f "$compose_file" config -q 2>&1)"; then
  echo "expected docker-compose config to fail without API_HOST" >&2
  exit 1
fi
if ! grep -q 'API_HOST must be set' <<<"$output"; then
  echo "docker-compose failed without API_HOST, but not with the guard's message:" >&2
  echo "$output" >&2
  exit 1
fi
log "guard: ok"

log "dclint $compose_file"
if [[ -x node_modules/.bin/dclint ]]; then
  node_modules/.bin/dclint "$compose_file"
else
  npx --yes dclint@3.1.0 "$compose_file"
fi
log "dclint: ok"
