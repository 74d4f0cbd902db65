# The OpenShift IP failover image: bin/ipfailover as the entrypoint, in place of the keepalived image.
# Configured only by OPENSHIFT_HA_* variables (docs/openshift.md). Needs CAP_NET_ADMIN (VIPs, firewall
# rule) and CAP_NET_RAW (VRRP and ARP sockets) and hostNetwork; nothing else.
#
#   docker build -t vrrp-engine-ipfailover .
#
# Every RUN below was run on a Debian 12 machine with Node 20 in the same form (see docs/openshift.md,
# "Building the image"); the image itself could not be built there (no registry access).

# --- builder: compile TypeScript and the N-API addons against this image's own Node headers ---
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# node-gyp reads the headers of the Node that runs it (/usr/local/include/node) instead of downloading.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY native ./native
COPY src ./src
COPY bin ./bin
# The dependencies' addons (netlink, raw-socket for ICMP checks), then ours, then the TypeScript.
RUN npm rebuild \
 && npx node-gyp rebuild --directory native \
 && npx tsc -p . \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime ---
FROM node:20-bookworm-slim
# iptables / nft: the OPENSHIFT_HA_IPTABLES_CHAIN rule; procps: pgrep, for the `pgrep keepalived`
# liveness probe of existing manifests.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables nftables procps \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/vrrp-engine
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY --from=build /build/bin ./bin
COPY --from=build /build/native/build/Release/vrrp_native.node ./native/build/Release/vrrp_native.node
ENV NODE_ENV=production
# Runs as root inside the container, but the pod grants only NET_ADMIN and NET_RAW (docs/openshift.md).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--single-threaded", "/opt/vrrp-engine/bin/ipfailover"]
