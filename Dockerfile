# syntax=docker/dockerfile:1
# Build: compile native modules and the TypeScript sources.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The pinned Baileys is patched at install (patches/); the patch must be there before npm install.
COPY patches ./patches
RUN npm install --no-audit --no-fund
COPY . .
# The same build as `npm start`'s: compiled JavaScript and the dashboard's files under dist/.
RUN npm run build && npm prune --omit=dev

# Run: only the compiled output and production dependencies, as an unprivileged user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# 0700: the database holds every account's WhatsApp keys; the hub warns at start about a wider folder.
RUN mkdir -p -m 0700 /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
CMD ["node", "dist/server/main.js"]
