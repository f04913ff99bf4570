# cameleer-saas production image. Multi-stage:
#   build   - full `npm ci` (dev dependencies included) and `npm run build` -> dist/
#   runtime - fresh `npm ci --omit=dev` on the same base; only dist/ is copied from the build stage.
# Base images are pinned to a Node 24 LTS patch release; bump all stages together.

FROM node:24.18.0-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
# The context is filtered by .dockerignore (no node_modules, dist, keys, env files, tests, bench or dev IdP).
COPY . .
RUN npm run build && test -f dist/apps/api/src/main.js

FROM node:24.18.0-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    KEYS_DIR=/app/keys \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
# Fixed uid/gid 10001: key files on the host are chowned to it (deploy/README.md).
RUN groupadd --system --gid 10001 cameleer \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin cameleer
COPY package.json package-lock.json ./
# Production dependencies only; install scripts are not needed at runtime (and skip telemetry hooks).
RUN npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force \
 && mkdir -p /app/keys
COPY --from=build /app/dist ./dist
# The tier catalog (TIERS_FILE defaults to config/tiers.yaml); read-only at run time.
COPY --from=build /app/config/tiers.yaml ./config/tiers.yaml
# Code and dependencies stay root-owned and read-only for the app user.
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/health').then((r)=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "dist/apps/api/src/main.js"]
