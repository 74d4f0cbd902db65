#!/usr/bin/env bash
# npm run image: builds localhost/vrrp-engine-ipfailover:latest with podman from nothing but Debian's
# and npm's registries. No registry image is pulled: the base is Debian trixie (Node 20 from Debian)
# made with mmdebstrap and imported, then the Dockerfile's two stages build on it. Idempotent: the
# base tarball and the base image are made once and reused (delete them, or set VRRP_IMAGE_REBASE=1,
# to make them again).
#
# Needs (Debian): podman runc mmdebstrap, and `default_ulimits = []` under [containers] in
# /etc/containers/containers.conf (scripts/podman-setup.sh writes it). docs/openshift.md,
# "The image", has the docker form of the same build.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${VRRP_IMAGE:-localhost/vrrp-engine-ipfailover:latest}
BASE_IMAGE=${VRRP_BASE_IMAGE:-localhost/vrrp-engine-base:trixie}
CACHE=${VRRP_IMAGE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/cache}/.cache}/vrrp-engine}
BASE_TAR=$CACHE/base-trixie.tar
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# crun refuses this kind of machine's hybrid cgroups; runc works.
RUNTIME=${VRRP_OCI_RUNTIME:-runc}

for tool in podman mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "image: $tool is missing (apt-get install podman runc mmdebstrap)" >&2; exit 1; }
done

if [[ ${VRRP_IMAGE_REBASE:-0} == 1 ]]; then
  rm -f "$BASE_TAR"
  podman image rm -f "$BASE_IMAGE" >/dev/null 2>&1 || true
fi

if ! podman image exists "$BASE_IMAGE"; then
  if [[ ! -s $BASE_TAR ]]; then
    mkdir -p "$CACHE"
    echo "image: making the base with mmdebstrap (Debian trixie minbase, nodejs, ca-certificates)"
    # No documentation, manual pages or translations: they are a quarter of the base. Copyright files stay.
    # The name must end in .tar for mmdebstrap to write a tarball (not a directory).
    mmdebstrap --variant=minbase --include=ca-certificates,nodejs \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      trixie "$CACHE/base-trixie.partial.tar"
    mv "$CACHE/base-trixie.partial.tar" "$BASE_TAR"
  fi
  echo "image: importing $BASE_TAR as $BASE_IMAGE"
  podman import --change 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
fi

# npm in the build stage trusts the registry with this machine's CA bundle (as npm does here).
volumes=()
[[ -r $CA_BUNDLE ]] && volumes=(--volume "$CA_BUNDLE:$CA_BUNDLE:ro")

echo "image: building $IMAGE on $BASE_IMAGE"
podman build --runtime "$RUNTIME" --network host "${volumes[@]}" \
  --build-arg "BASE=$BASE_IMAGE" --tag "$IMAGE" --file Dockerfile .
# The newest build stage stays (untagged) as the layer cache of the next build; older build stages and
# runtime images this tag has left behind are removed, so repeated builds do not fill the disk. Only
# images with our label are touched.
stale() {
  podman images --filter dangling=true --filter "label=org.vrrp-engine.stage=$1" --format '{{.ID}}' | sort -u
}
newest_build=$(podman images --filter dangling=true --filter label=org.vrrp-engine.stage=build \
  --sort created --format '{{.ID}}' | head -n 1)
for id in $(stale runtime) $(stale build); do
  [[ $id == "$newest_build" ]] || podman image rm "$id" >/dev/null 2>&1 || true
done
podman image inspect --format "image: $IMAGE {{.Id}} {{.Size}} bytes" "$IMAGE"
