# The launcher as one image: the server, the web app and the bundled Scratchpad, launched with
# the local driver inside the container (set LAUNCHER_DRIVERS for others). See docs/deploy.md.
#
# BASE is any Node 20+ image with npm: the official slim image by default. scripts/image.sh
# passes one it makes from the build machine's own Node where no image can be pulled.
ARG BASE=node:20-bookworm-slim

# --- build: install, build, and gather what runs ----------------------------------------------
FROM ${BASE} AS build
# Lets scripts/image.sh tell this stage's leftovers (the engine's build cache) from other images.
LABEL launcher.build-stage=true
WORKDIR /src
ENV CI=true
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm at the version package.json pins.
RUN npm install --global --no-fund --no-audit --loglevel=error \
      "$(node -p 'require("./package.json").packageManager')"
# Every package the lockfile names, into pnpm's store: a layer that changes with the lockfile
# alone, so that a change of the sources reinstalls from it without the network.
RUN pnpm fetch
COPY . .
# Only the three apps that run, and what they are built from.
RUN pnpm install --offline --frozen-lockfile \
      --filter "@launcher/server..." --filter "@launcher/web..." --filter "@launcher/scratchpad..."
RUN pnpm --filter @launcher/server --filter @launcher/web --filter @launcher/scratchpad run build
# The server's production dependencies (its workspace packages are bundled into dist), and the
# built apps at the paths the server looks for them (apps/web/dist, apps/scratchpad/dist).
RUN pnpm --filter @launcher/server deploy --prod --legacy /app/apps/server \
 && rm -rf /app/apps/server/src /app/apps/server/test /app/apps/server/bench \
 && cp -r apps/server/dist /app/apps/server/ \
 && mkdir -p /app/apps/web /app/apps/scratchpad /state \
 && cp -r apps/web/dist /app/apps/web/ \
 && cp -r apps/scratchpad/dist apps/scratchpad/package.json /app/apps/scratchpad/

# --- run: non-root, no build tools ------------------------------------------------------------
FROM ${BASE}
LABEL org.opencontainers.image.title=launcher \
      org.opencontainers.image.description="Launches notebook servers and other apps for users, with live progress"
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LAUNCHER_STATE_DIR=/var/lib/launcher
WORKDIR /app
COPY --from=build /app /app
# The state dir (the local driver's records; the dev keyring when LAUNCHER_KEYS is unset):
# mount a volume here to keep it across containers.
COPY --from=build --chown=1000:1000 /state /var/lib/launcher
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const h=process.env.HOST||'';const host=['','0.0.0.0','::'].includes(h)?'127.0.0.1':h.includes(':')?`[${h}]`:h;fetch(`http://${host}:${process.env.PORT||3000}/health`).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop, a pod's end) drains: WebSocket clients are told to reconnect elsewhere.
CMD ["node", "apps/server/dist/main.js"]
