# One image for every DoranDoran service; the compose file picks the entry point with SERVICE_ENTRY.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/service-kit/package.json packages/service-kit/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/chat/package.json subgraphs/chat/
COPY subgraphs/store/package.json subgraphs/store/
COPY subgraphs/batch/package.json subgraphs/batch/
COPY gateway/package.json gateway/
COPY rover/package.json rover/
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY . .
USER node
ENV SERVICE_ENTRY=gateway/src/index.ts
# tsx runs the TypeScript sources directly; there is no separate build step to get out of date.
CMD ["sh", "-c", "exec npx tsx $SERVICE_ENTRY"]
