# syntax=docker/dockerfile:1
# Hookline's container image: `docker build -t hookline .`
#
# Two stages. The build stage installs every dependency (better-sqlite3
# compiles from source there, with the C++ toolchain that stage alone has),
# generates the Prisma clients, bundles the server into dist/ and the console
# into web/dist/, then drops the development dependencies. The runtime stage
# gets only what `node dist/main.mjs` reads: package.json, prisma/ (the
# migration SQL the service applies itself at start-up), dist/, web/dist/ and
# the production node_modules. It runs as the unprivileged `node` user, and
# keeps the SQLite database and the generated encryption key in the /data
# volume. The same image runs the delivery worker: `node dist/worker.mjs`.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# A C++ toolchain for better-sqlite3 (no prebuilt binary is downloaded: the
# build must work where only the npm registry and Debian's packages are
# reachable). Debian's versions are the ones its bookworm release ships.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts run below, once the sources they build from are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
COPY web ./web
RUN npm rebuild better-sqlite3 \
 && node scripts/generate.mjs \
 && node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data \
    DATABASE_URL=file:/data/hookline.db
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/prisma ./prisma
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/web/dist ./web/dist
COPY --from=build --chown=root:root /app/scripts/healthcheck.mjs ./scripts/healthcheck.mjs
# The data directory belongs to the user the service runs as; the code does not.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000
# Ready means the database takes writes (GET /readyz answers 200); a worker
# started with WORKER_PORT is probed on that port instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
CMD ["node", "--enable-source-maps", "dist/main.mjs"]
