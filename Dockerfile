# One image for every DoranDoran service: `node` runs the compiled build (npm run build → dist/); the
# entry point is the command, e.g. dist/subgraphs/auth/src/index.js (docker-compose.yml, deploy/kubernetes).
# Node 24 LTS here; the code also runs on Node 20.19+.

# The workspaces' manifests, which npm ci needs before the sources.
FROM node:24-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/test-support/package.json packages/test-support/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/chat/package.json subgraphs/chat/
COPY subgraphs/store/package.json subgraphs/store/
COPY subgraphs/batch/package.json subgraphs/batch/
COPY gateway/package.json gateway/
COPY rover/package.json rover/
COPY web/package.json web/
# npm ci's postinstall applies them (patch-package, in the build stage; the bundles carry the patched code).
COPY patches/ patches/

# Everything, to build the web app and bundle the services.
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web && npm run build

# The packages the bundles require at run time: the services' production dependencies only (not the
# web app's, which is built into dist/; 230 MB instead of 274 MB).
FROM manifests AS runtime-modules
RUN npm ci --omit=dev --no-audit --no-fund \
      -w @dorandoran/service-kit -w @dorandoran/auth -w @dorandoran/users -w @dorandoran/chat \
      -w @dorandoran/store -w @dorandoran/batch -w @dorandoran/gateway \
  && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime-modules /app/node_modules node_modules
COPY --from=build /app/dist dist
# The image's own unprivileged user (uid 1000); nothing under /app is writable by it.
USER node
ENTRYPOINT ["node"]
CMD ["dist/gateway/src/index.js"]
