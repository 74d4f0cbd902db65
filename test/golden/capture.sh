#!/usr/bin/env bash
# Captures golden VRRP adverts from real keepalived (2.2.7 expected) on a LAN of network namespaces.
#
#   sudo test/golden/capture.sh [name ...]      # default: every configuration below
#
# LAN: namespace <p>-lan holds bridge br0; <p>-r1 runs keepalived on eth0 (192.0.2.1, 2001:db8::1);
# <p>-r2 (192.0.2.2) only answers ARP so unicast adverts leave r1. tcpdump runs in r1 on eth0 and writes
# the Ethernet frames. For each configuration: keepalived starts as the only router, becomes master after
# Master_Down_Interval, sends a few adverts, then gets SIGTERM and sends its priority-0 advert.
# Output per name: <name>.conf (exact config), <name>.pcap, <name>.tshark.txt, <name>.keepalived.log.
# Uses only 192.0.2.0/24, 2001:db8::/32 and link-local addresses. Everything is torn down on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${GOLDEN_OUT:-$here}"
prefix="vrrpg$$"
ns_lan="$prefix-lan"
ns_r1="$prefix-r1"
ns_r2="$prefix-r2"
work="$(mktemp -d /tmp/vrrp-golden.XXXXXX)"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$ns_r1" "$ns_r2" "$ns_lan"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "capture.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

[[ $(id -u) -eq 0 ]] || { echo "capture.sh needs root (network namespaces)" >&2; exit 1; }
command -v keepalived tcpdump tshark >/dev/null
{ keepalived --version 2>&1 || true; } | head -1 >"$work/version"
echo "using $(cat "$work/version")"

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

build_lan() {
  ip netns add "$ns_lan"; ip netns add "$ns_r1"; ip netns add "$ns_r2"
  in_ns "$ns_lan" ip link add br0 type bridge
  in_ns "$ns_lan" ip link set br0 up
  local i ns
  for i in 1 2; do
    ns="$prefix-r$i"
    in_ns "$ns_lan" ip link add "port$i" type veth peer name eth0 netns "$ns"
    in_ns "$ns_lan" ip link set "port$i" master br0 up
    # No DAD, so the link-local address is usable at once (keepalived's IPv6 source).
    in_ns "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    in_ns "$ns" ip link set lo up
    in_ns "$ns" ip addr add "192.0.2.$i/24" dev eth0
    in_ns "$ns" ip -6 addr add "2001:db8::$i/64" dev eth0 nodad
    # A fixed MAC (set before the link comes up) fixes the link-local address and the Ethernet
    # source, so a re-run reproduces the captures byte for byte.
    in_ns "$ns" ip link set eth0 address "02:00:5e:00:c0:0$i"
    in_ns "$ns" ip link set eth0 up
  done
  sleep 1
}

# write_conf NAME: the exact keepalived.conf for each golden capture.
write_conf() {
  local name="$1"
  case "$name" in
    v2-ipv4) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 2
}
vrrp_instance VI_51 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
CONF
    ;;
    v2-pass) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 2
}
vrrp_instance VI_51 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
CONF
    ;;
    v2-pass-long) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 2
}
vrrp_instance VI_51 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12345
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
CONF
    ;;
    v2-pass-short) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 2
}
vrrp_instance VI_51 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass abc
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
CONF
    ;;
    v3-ipv4) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 3
}
vrrp_instance VI_52 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.110/24
    192.0.2.111/24
  }
}
CONF
    ;;
    v3-ipv4-fast) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 3
}
vrrp_instance VI_52 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 200
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.110/24
  }
}
CONF
    ;;
    v3-ipv6) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 3
}
vrrp_instance VI_53 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 150
  advert_int 1
  virtual_ipaddress {
    2001:db8::100/64
    2001:db8::101/64
  }
}
CONF
    ;;
    v3-ipv6-linklocal) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 3
}
vrrp_instance VI_53 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 150
  advert_int 1
  virtual_ipaddress {
    fe80::53/64
    2001:db8::100/64
  }
}
CONF
    ;;
    unicast) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 2
}
vrrp_instance VI_51 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
CONF
    ;;
    unicast-v3) cat <<'CONF'
global_defs {
  router_id golden-r1
  vrrp_version 3
}
vrrp_instance VI_52 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 150
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.110/24
    192.0.2.111/24
  }
}
CONF
    ;;
    *) echo "unknown configuration: $name" >&2; return 1 ;;
  esac
}

packet_count() { tcpdump -r "$1" 2>/dev/null | wc -l; }

# capture NAME WANT: keepalived until WANT adverts are on the wire, then SIGTERM for the priority-0 one.
capture() {
  local name="$1" want="$2"
  local conf="$out/$name.conf" pcap="$out/$name.pcap" log="$out/$name.keepalived.log"
  local tmp="$work/$name.pcap"
  write_conf "$name" >"$conf"
  # keepalived -t also exits non-zero for warnings (e.g. a truncated auth_pass): keep its verdict in the log.
  { echo "# keepalived -t -l -f $name.conf"; in_ns "$ns_r1" keepalived -t -l -f "$conf" 2>&1 || true; } >"$log"

  # Background processes run under `ip netns exec` directly (it execs), so $! is their own PID.
  ip netns exec "$ns_r1" tcpdump -i eth0 -U -s 0 -w "$tmp" 'ip proto 112 or ip6 proto 112' 2>"$work/$name.tcpdump.err" &
  local tcpdump_pid=$!; pids+=("$tcpdump_pid")
  sleep 1
  ip netns exec "$ns_r1" keepalived -n -l -D -P -f "$conf" -p "$work/$name.pid" -r "$work/$name.vrrp.pid" \
    --no-syslog >>"$log" 2>&1 &
  local keepalived_pid=$!; pids+=("$keepalived_pid")

  local waited=0
  until [[ $(packet_count "$tmp") -ge $want ]]; do
    sleep 0.2; waited=$((waited + 1))
    if ((waited > 75)); then echo "$name: no adverts after 15 s; see $log" >&2; return 1; fi
  done
  kill -TERM "$keepalived_pid"; wait "$keepalived_pid" || true
  sleep 0.5
  kill -TERM "$tcpdump_pid"; wait "$tcpdump_pid" || true
  pids=()
  cp "$tmp" "$pcap"
  {
    echo "# tshark -r $name.pcap -O vrrp -Y vrrp   ($(tshark -v 2>/dev/null | head -1))"
    tshark -r "$pcap" -O vrrp -Y vrrp 2>/dev/null
  } >"$out/$name.tshark.txt"
  echo "$name: $(packet_count "$pcap") packets"
}

build_lan
names=("$@")
if ((${#names[@]} == 0)); then
  names=(v2-ipv4 v2-pass v2-pass-long v2-pass-short v3-ipv4 v3-ipv4-fast v3-ipv6 v3-ipv6-linklocal unicast unicast-v3)
fi
for name in "${names[@]}"; do
  case "$name" in
    v3-ipv4-fast) capture "$name" 4 ;;
    *) capture "$name" 3 ;;
  esac
done
cp "$work/version" "$out/KEEPALIVED_VERSION"
