#!/usr/bin/env bash
# Boots the compiled app once on Node 24 (npm's node@24 package) against PostgreSQL and checks /api/health.
set -euo pipefail
cd "$(dirname "$0")/.."
runtime=$(mktemp -d)
app_pid=
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; rm -rf "$runtime"; psql -q -h 127.0.0.1 -U postgres -d test -c 'DROP DATABASE IF EXISTS t_node24_boot WITH (FORCE)' >/dev/null 2>&1 || true; }
trap cleanup EXIT
(cd "$runtime" && npm i --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null)
node24="$runtime/node_modules/.bin/node"
echo "runtime: $("$node24" --version)"
[ -f dist/apps/api/src/main.js ] || npm run build
psql -q -h 127.0.0.1 -U postgres -d test -c 'DROP DATABASE IF EXISTS t_node24_boot WITH (FORCE)' -c 'CREATE DATABASE t_node24_boot'
keys="$runtime/keys"
npm run -s keys:generate -- --purpose license --dir "$keys" >/dev/null
npm run -s keys:generate -- --purpose machine --dir "$keys" >/dev/null
port=$((20000 + RANDOM % 20000))
# Production settings: Logto is not running here, which the API tolerates at boot (readiness reports it).
NODE_ENV=production PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn KEYS_DIR="$keys" \
  PUBLIC_URL=https://api.cameleer.example LOGTO_ENDPOINT=https://auth.cameleer.example LOGTO_API_RESOURCE=https://api.cameleer.example \
  LICENSE_ISSUER=https://api.cameleer.example TENANT_BASE_DOMAIN=cameleer.example \
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/t_node24_boot \
  "$node24" dist/apps/api/src/main.js >"$runtime/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 60); do
  if curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; then
    echo "ok: /api/health answered on $("$node24" --version)"
    kill -TERM "$app_pid"; wait "$app_pid" && echo "ok: graceful shutdown exited 0"; app_pid=
    exit 0
  fi
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 1
done
cat "$runtime/app.log"
echo "FAIL: the built app did not answer /api/health on Node 24"
exit 1
