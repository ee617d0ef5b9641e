# hubwarden container image (docs/operations.md, "Container").
# NOT BUILT OR RUN WHERE IT WAS WRITTEN: that machine had no Docker engine and could not pull base
# images. test/process/production-install.test.ts runs the same layout (build, npm ci --omit=dev,
# node dist/scim-server/main.js, /readyz) without Docker.
#
#   docker build -t hubwarden .
#   docker run -d --name hubwarden -p 8080:8080 -v hubwarden-data:/var/lib/hubwarden \
#     -v /etc/hubwarden/hubwarden.yaml:/etc/hubwarden/hubwarden.yaml:ro --env-file hubwarden.env \
#     --stop-timeout 30 hubwarden

# --- build: TypeScript to JavaScript (npm run build → dist/) ---
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY agent ./agent
COPY config ./config
COPY connectors ./connectors
COPY scim-server ./scim-server
RUN npm run build

# --- runtime: production dependencies and the built code only; no sources, no tsx, no TypeScript ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HUBWARDEN_CONFIG=/etc/hubwarden/hubwarden.yaml
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY deploy/hubwarden.yaml /etc/hubwarden/hubwarden.yaml
# The data volume (store, journal, lock, key file, audit.file, sandbox business), owned by the image's
# unprivileged "node" user (uid 1000), which runs the server.
RUN mkdir -p /var/lib/hubwarden && chown node:node /var/lib/hubwarden && chmod 0700 /var/lib/hubwarden
VOLUME ["/var/lib/hubwarden"]
USER node
EXPOSE 8080
# /readyz: 200 when the store accepts writes and the agent runs (503 otherwise). It asks port
# $PORT or 8080: move the port with PORT (which overrides server.port), not in the config file alone.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 here and handles SIGTERM itself (scim-server/serve.ts): give it more than its 10 s.
STOPSIGNAL SIGTERM
CMD ["node", "dist/scim-server/main.js"]
