#!/usr/bin/env bash
# Makes podman usable on this kind of machine (as root): `default_ulimits = []` under [containers] in
# /etc/containers/containers.conf, since the default ulimits podman asks for are refused here. Adds the
# setting only when the file does not set default_ulimits already; every other setting is kept.
set -euo pipefail
conf=${CONTAINERS_CONF_PATH:-/etc/containers/containers.conf}
mkdir -p "$(dirname "$conf")"
if [[ ! -e $conf ]]; then
  printf '[containers]\ndefault_ulimits = []\n' > "$conf"
elif grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=' "$conf"; then
  : # set already, by us or by the machine's owner: left as it is
elif grep -Eq '^[[:space:]]*\[containers\][[:space:]]*$' "$conf"; then
  # Right after the section header, so it belongs to [containers] whatever follows.
  sed -i -E '0,/^[[:space:]]*\[containers\][[:space:]]*$/s//&\ndefault_ulimits = []/' "$conf"
else
  printf '\n[containers]\ndefault_ulimits = []\n' >> "$conf"
fi
