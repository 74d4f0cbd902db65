# The OpenShift IP failover image: bin/ipfailover as the entrypoint, in place of the keepalived image.
# Configured only by OPENSHIFT_HA_* variables (docs/openshift.md).
#
# BASE is a Debian trixie root file system with nodejs (Debian's Node 20). No registry image is needed:
#   npm run image            # scripts/image.sh: base made with mmdebstrap, imported, then podman build
# Where a Debian image can be pulled, the same file builds with docker (nodejs then comes from apt):
#   docker build --build-arg BASE=debian:trixie-slim -t vrrp-engine-ipfailover .
ARG BASE=localhost/vrrp-engine-base:trixie

# --- build: compilers, npm and Node's headers; TypeScript and the N-API addons built here only ---
FROM ${BASE} AS build
# scripts/image.sh keeps the newest build stage (the layer cache) and removes older ones by this label.
LABEL org.vrrp-engine.stage=build
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs npm libnode-dev python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# node-gyp reads the headers of the Node that runs it (Debian's, /usr/include/node) instead of downloading.
ENV npm_config_nodedir=/usr npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY native ./native
COPY src ./src
COPY bin ./bin
# The dependencies' addons (netlink; raw-socket for ICMP checks), then ours, then the TypeScript; then
# the development packages go.
RUN npm rebuild \
 && npx node-gyp rebuild --directory native \
 && npx tsc -p . \
 && npm prune --omit=dev --ignore-scripts \
 && find node_modules -path '*/build/Release/obj.target' -prune -exec rm -rf {} + \
 && find node_modules -path '*/build/Release/.deps' -prune -exec rm -rf {} +

# --- runtime: node, the program, and what the OpenShift contract needs ---
FROM ${BASE}
LABEL org.vrrp-engine.stage=runtime
# iptables / nft: the OPENSHIFT_HA_IPTABLES_CHAIN rule; procps: pgrep, for the `pgrep keepalived`
# liveness probe of existing manifests. No compiler, no npm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs iptables nftables procps \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old
WORKDIR /opt/vrrp-engine
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY --from=build /build/bin ./bin
COPY --from=build /build/native/build/Release/vrrp_native.node ./native/build/Release/vrrp_native.node
ENV NODE_ENV=production
# Root inside the container; the pod's securityContext decides what root may do (docs/openshift.md).
# PID 1: bin/ipfailover handles SIGTERM / SIGINT and reaps orphaned script children itself (no init).
# The V8 flags keep the young generation small and V8 off helper threads (bench/RESULTS.md, memory).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--single-threaded", "/opt/vrrp-engine/bin/ipfailover"]
