# tapedeck in a container. Build: docker build -t tapedeck .   Run: README "Packaging: Docker and systemd".
# Two stages: the first installs the locked dependencies and bundles the CLI (npm run build: dist/tapedeck.cjs,
# every dependency inside); the second holds Node and that one file, run as the unprivileged user node.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY ingest ./ingest
COPY mux ./mux
RUN npm run build

FROM node:20-bookworm-slim
# The API listens on every interface so published ports reach it; the built-in listeners follow it. Beyond
# loopback tapedeck refuses to start without publish keys or a webhook (/data/publish.json, or
# TAPEDECK_PUBLISH_CONFIG), unless `--allow-open-publish` is passed.
ENV NODE_ENV=production TAPEDECK_DATA=/data TAPEDECK_HOST=0.0.0.0 TAPEDECK_PORT=8080
COPY --from=build /src/dist/tapedeck.cjs /usr/local/lib/tapedeck/tapedeck.cjs
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
# HTTP API, RTMP, SRT (UDP), RTSP.
EXPOSE 8080 1935 9710/udp 8554
# /healthz answers without credentials while the process serves; Node's fetch, as the image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
	CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.TAPEDECK_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 gets no default signal handling, but tapedeck handles SIGTERM (docker stop) and SIGINT itself:
# every open file is finalized, then it exits 0. It starts no child process, so no init is needed to reap any.
ENTRYPOINT ["node", "/usr/local/lib/tapedeck/tapedeck.cjs"]
CMD ["serve"]
