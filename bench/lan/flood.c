// flood: sends invalid VRRP packets to 224.0.0.18 from a LAN client, as whole Ethernet frames on an
// AF_PACKET socket (so TTL, checksums and lengths are exactly what we write). Six kinds, in turn:
//   wrong-ttl      a valid VRRPv3 advert (the routers' VRID, priority 254 by default, good checksum), TTL 64
//   bad-checksum   the same advert, TTL 255, checksum off by one
//   bad-version    version 1, TTL 255, checksum good
//   bad-type       type 2, TTL 255, checksum good
//   truncated      the first 6 bytes of the advert (the IP total length says 26)
//   random         1..64 random bytes as the VRRP payload (a pool of 64 frames)
//   costly         (only when named) a well-formed advert with many random addresses and a valid
//                  checksum, the packet whose rejection must not cost more than a short one's: a pool
//                  of 64 frames with different addresses, sent in turn; shaped by the options below
// A wrong-TTL or bad-checksum advert that got through would make the Master step down (priority 254).
//
// usage: flood [OPTIONS] IFACE VRID VIP RATE SECONDS [KINDS [PRIORITY]]
//   RATE packets/s, 0 = as fast as it can; KINDS a comma list of kind names (default the first six);
//   PRIORITY of the advert-shaped kinds (default 254)
// options of the costly kind:
//   -n COUNT      addresses per packet (default 255 over IPv4, 90 over IPv6: the most a 1500-byte
//                 frame holds; 128 would need IPv6 fragments)
//   -t TTL        IPv4 TTL / IPv6 hop limit (default 64: as if routed from off-link)
//   -6 SOURCE     IPv6, from SOURCE (the pseudo-header needs it); default IPv4 from IFACE's address
//   -u ADDR,MAC   a unicast target (the Master's address and MAC) ...
//   -D MODE       ... and where packets go: multicast (default), unicast, or both (in turn)
//   -2 PASSWORD   VRRPv2 with simple-password authentication PASSWORD (default VRRPv3)
// Prints one JSON line at the end: {"sent":N,"seconds":S,"byKind":{...},"errors":E}.
// Built by bench/lan/hostile.ts with `cc -O2`; runs inside the client namespace (root or CAP_NET_RAW).

#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { KINDS = 7, COSTLY = 6, DEFAULT_KINDS = 6, POOL = 64, MAXF = 1536 };
static const char *kind_names[KINDS] = {"wrong-ttl", "bad-checksum", "bad-version", "bad-type", "truncated", "random", "costly"};
static volatile sig_atomic_t stop_now = 0;
static void on_signal(int sig) { (void)sig; stop_now = 1; }

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct { uint8_t b[MAXF]; size_t len; } frame_t;

// Ethernet + IPv4 header (20 bytes) + payload; ip checksum computed; VRRP bytes given.
static void build(frame_t *f, const uint8_t *mac, uint32_t src, uint8_t ttl, const uint8_t *vrrp, size_t vlen) {
  static const uint8_t dst_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
  uint8_t *e = f->b, *ip = f->b + 14;
  memcpy(e, dst_mac, 6);
  memcpy(e + 6, mac, 6);
  e[12] = 0x08, e[13] = 0x00;
  memset(ip, 0, 20);
  ip[0] = 0x45, ip[1] = 0xc0;
  uint16_t total = (uint16_t)(20 + vlen);
  ip[2] = total >> 8, ip[3] = total & 0xff;
  ip[8] = ttl, ip[9] = 112;
  memcpy(ip + 12, &src, 4);
  uint32_t dst = htonl(0xe0000012);
  memcpy(ip + 16, &dst, 4);
  uint16_t c = csum(ip, 20, 0);
  ip[10] = c >> 8, ip[11] = c & 0xff;
  memcpy(ip + 20, vrrp, vlen);
  f->len = 14 + 20 + vlen;
  if (f->len < 60) { memset(f->b + f->len, 0, 60 - f->len); f->len = 60; }
}

// VRRPv3 advert with one IPv4 address; checksum over the IPv4 pseudo-header (RFC 5798, keepalived's default).
static uint8_t priority = 254;
static size_t advert(uint8_t *v, uint8_t version_type, uint8_t vrid, uint32_t src, uint32_t vip) {
  v[0] = version_type, v[1] = vrid, v[2] = priority, v[3] = 1;
  v[4] = 0, v[5] = 10;  // 100 ms
  v[6] = v[7] = 0;
  memcpy(v + 8, &vip, 4);
  uint8_t pseudo[12 + 12];
  uint32_t dst = htonl(0xe0000012);
  memcpy(pseudo, &src, 4);
  memcpy(pseudo + 4, &dst, 4);
  pseudo[8] = 0, pseudo[9] = 112, pseudo[10] = 0, pseudo[11] = 12;
  memcpy(pseudo + 12, v, 12);
  uint16_t c = csum(pseudo, sizeof pseudo, 0);
  v[6] = c >> 8, v[7] = c & 0xff;
  return 12;
}

// The costly kind's shape (options).
typedef struct {
  int count, ttl, ipv6, v2;
  uint8_t password[8];
  uint8_t source6[16];
  int unicast;            // a unicast target was given
  uint8_t target[16];     // its address (4 or 16 bytes used)
  uint8_t target_mac[6];
} costly_t;

// Ethernet + IPv6 header (40 bytes, next header 112, no extension) + VRRP.
static void build6(frame_t *f, const uint8_t *mac, const uint8_t *dst_mac, const uint8_t *src, const uint8_t *dst,
                   uint8_t hops, const uint8_t *vrrp, size_t vlen) {
  uint8_t *e = f->b, *ip = f->b + 14;
  memcpy(e, dst_mac, 6);
  memcpy(e + 6, mac, 6);
  e[12] = 0x86, e[13] = 0xdd;
  memset(ip, 0, 40);
  ip[0] = 0x6c;  // version 6, traffic class 0xc0 (CS6) as VRRP
  ip[4] = (uint8_t)(vlen >> 8), ip[5] = vlen & 0xff;
  ip[6] = 112, ip[7] = hops;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  memcpy(ip + 40, vrrp, vlen);
  f->len = 14 + 40 + vlen;
}

// One costly advert: `count` random addresses, a valid checksum for (src, dst); VRRPv3, or VRRPv2 with
// the simple password of `c`. Returns the VRRP length.
static size_t costly_advert(uint8_t *v, const costly_t *c, uint8_t vrid, const uint8_t *src, const uint8_t *dst) {
  size_t alen = c->ipv6 ? 16 : 4, n = 8 + (size_t)c->count * alen;
  v[0] = c->v2 ? 0x21 : 0x31, v[1] = vrid, v[2] = priority, v[3] = (uint8_t)c->count;
  if (c->v2) v[4] = 1, v[5] = 1;          // simple password, 1 s
  else v[4] = 0, v[5] = 10;               // 100 ms
  v[6] = v[7] = 0;
  for (size_t j = 8; j < n; j++) v[j] = (uint8_t)rand();
  if (c->v2) {
    memcpy(v + n, c->password, 8);
    n += 8;
    uint16_t sum = csum(v, n, 0);
    v[6] = sum >> 8, v[7] = sum & 0xff;
    return n;
  }
  // The pseudo-header's sum, then the message's (RFC 5798 for both families).
  uint32_t sum = 0;
  for (size_t i = 0; i < alen; i += 2) sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
  sum += 112 + (uint32_t)n;
  uint16_t c16 = csum(v, n, sum);
  v[6] = c16 >> 8, v[7] = c16 & 0xff;
  return n;
}

static int parse_mac(const char *text, uint8_t *mac) {
  unsigned m[6];
  if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)m[i];
  return 0;
}

int main(int argc, char **argv) {
  costly_t costly = {.count = -1, .ttl = 64};
  const char *mode = "multicast", *unicast_arg = NULL;
  for (int opt; (opt = getopt(argc, argv, "+n:t:6:u:D:2:")) != -1;) {
    switch (opt) {
      case 'n': costly.count = atoi(optarg); break;
      case 't': costly.ttl = atoi(optarg); break;
      case '6':
        costly.ipv6 = 1;
        if (inet_pton(AF_INET6, optarg, costly.source6) != 1) { fprintf(stderr, "bad -6 source\n"); return 2; }
        break;
      case 'u': unicast_arg = optarg; break;
      case 'D': mode = optarg; break;
      case '2': costly.v2 = 1; memcpy(costly.password, optarg, strnlen(optarg, 8)); break;
      default: return 2;
    }
  }
  argc -= optind - 1, argv += optind - 1;
  if (argc < 6 || argc > 8) {
    fprintf(stderr, "usage: flood [-n COUNT] [-t TTL] [-6 SOURCE] [-u ADDR,MAC] [-D multicast|unicast|both] [-2 PASSWORD] IFACE VRID VIP RATE SECONDS [KINDS [PRIORITY]]\n");
    return 2;
  }
  if (costly.count < 0) costly.count = costly.ipv6 ? 90 : 255;
  if (costly.count > 255 || (costly.v2 && costly.ipv6)) { fprintf(stderr, "bad -n or -2 with -6\n"); return 2; }
  if (unicast_arg != NULL) {
    char address[64];
    const char *comma = strchr(unicast_arg, ',');
    if (comma == NULL || (size_t)(comma - unicast_arg) >= sizeof address) { fprintf(stderr, "-u ADDR,MAC\n"); return 2; }
    memcpy(address, unicast_arg, (size_t)(comma - unicast_arg));
    address[comma - unicast_arg] = 0;
    if (inet_pton(costly.ipv6 ? AF_INET6 : AF_INET, address, costly.target) != 1 || parse_mac(comma + 1, costly.target_mac) < 0) {
      fprintf(stderr, "bad -u %s\n", unicast_arg);
      return 2;
    }
    costly.unicast = 1;
  }
  int to_group = strcmp(mode, "unicast") != 0, to_unicast = strcmp(mode, "multicast") != 0;
  if ((!to_group && !to_unicast) || (to_unicast && !costly.unicast) || (strcmp(mode, "both") && to_group && to_unicast)) {
    fprintf(stderr, "-D multicast|unicast|both (unicast and both need -u)\n");
    return 2;
  }
  int use[KINDS], nuse = 0;
  for (int k = 0; k < KINDS; k++) {
    char list[256];
    snprintf(list, sizeof list, ",%s,", argc >= 7 ? argv[6] : "wrong-ttl,bad-checksum,bad-version,bad-type,truncated,random");
    char name[32];
    snprintf(name, sizeof name, ",%s,", kind_names[k]);
    if (strstr(list, name) == NULL) continue;
    use[nuse++] = k;
  }
  if (nuse == 0) { fprintf(stderr, "no known kind in %s\n", argv[6]); return 2; }
  if (costly.ipv6 && (nuse != 1 || use[0] != COSTLY)) { fprintf(stderr, "-6 floods the costly kind only\n"); return 2; }
  const char *iface = argv[1];
  uint8_t vrid = (uint8_t)atoi(argv[2]);
  uint32_t vip = 0;  // only the IPv4 kinds carry it
  if (!costly.ipv6 && inet_pton(AF_INET, argv[3], &vip) != 1) { fprintf(stderr, "bad VIP\n"); return 2; }
  double rate = atof(argv[4]), seconds = atof(argv[5]);
  if (argc == 8) priority = (uint8_t)atoi(argv[7]);

  int fd = socket(AF_PACKET, SOCK_RAW, htons(costly.ipv6 ? ETH_P_IPV6 : ETH_P_IP));
  if (fd < 0) { perror("socket"); return 1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, iface, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { perror("SIOCGIFHWADDR"); return 1; }
  uint8_t mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) { perror("SIOCGIFADDR"); return 1; }
  uint32_t src = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = (int)if_nametoindex(iface);
  to.sll_halen = 6;
  memcpy(to.sll_addr, "\x01\x00\x5e\x00\x00\x12", 6);

  static frame_t fixed[DEFAULT_KINDS - 1], pool[POOL], costly_pool[POOL];
  static uint8_t v[MAXF];
  size_t n = advert(v, 0x31, vrid, src, vip);
  build(&fixed[0], mac, src, 64, v, n);                         // wrong-ttl
  v[7] ^= 1;
  build(&fixed[1], mac, src, 255, v, n);                        // bad-checksum
  n = advert(v, 0x11, vrid, src, vip);
  build(&fixed[2], mac, src, 255, v, n);                        // bad-version
  n = advert(v, 0x32, vrid, src, vip);
  build(&fixed[3], mac, src, 255, v, n);                        // bad-type
  n = advert(v, 0x31, vrid, src, vip);
  build(&fixed[4], mac, src, 255, v, 6);                        // truncated
  srand(12345);
  for (int i = 0; i < POOL; i++) {
    size_t len = 1 + (size_t)(rand() % 64);
    for (size_t j = 0; j < len; j++) v[j] = (uint8_t)rand();
    build(&pool[i], mac, src, 255, v, len);                     // random
  }
  // costly: every other frame of the pool to the unicast target with -D both.
  static const uint8_t group_mac4[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}, group_mac6[6] = {0x33, 0x33, 0, 0, 0, 0x12};
  static const uint8_t group6[16] = {0xff, 0x02, [15] = 0x12};
  for (int i = 0; i < POOL; i++) {
    int unicast = to_unicast && (!to_group || (i & 1));
    const uint8_t *dst_mac = unicast ? costly.target_mac : costly.ipv6 ? group_mac6 : group_mac4;
    if (costly.ipv6) {
      const uint8_t *dst = unicast ? costly.target : group6;
      size_t len = costly_advert(v, &costly, vrid, costly.source6, dst);
      build6(&costly_pool[i], mac, dst_mac, costly.source6, dst, (uint8_t)costly.ttl, v, len);
    } else {
      uint32_t group = htonl(0xe0000012), dst;
      memcpy(&dst, unicast ? costly.target : (const uint8_t *)&group, 4);
      size_t len = costly_advert(v, &costly, vrid, (const uint8_t *)&src, (const uint8_t *)&dst);
      build(&costly_pool[i], mac, src, (uint8_t)costly.ttl, v, len);
      if (unicast) {  // build() aims at the group: re-aim the frame and the IP header at the target
        uint8_t *ip = costly_pool[i].b + 14;
        memcpy(costly_pool[i].b, dst_mac, 6);
        memcpy(ip + 16, &dst, 4);
        ip[10] = ip[11] = 0;
        uint16_t c = csum(ip, 20, 0);
        ip[10] = c >> 8, ip[11] = c & 0xff;
      }
    }
  }

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  unsigned long long sent[KINDS] = {0}, errors = 0, total = 0;
  double start = now_s(), end = start + seconds;
  for (unsigned long long i = 0; !stop_now; i++) {
    if ((i & 63) == 0) {
      double t = now_s();
      if (t >= end) break;
      if (rate > 0) {
        double due = start + (double)total / rate;
        if (due > t) {
          struct timespec ts = {(time_t)(due - t), (long)(((due - t) - (time_t)(due - t)) * 1e9)};
          nanosleep(&ts, NULL);
        }
      }
    }
    int k = use[i % (unsigned long long)nuse];
    const frame_t *f = k == COSTLY ? &costly_pool[(i / (unsigned long long)nuse) % POOL] : k < DEFAULT_KINDS - 1 ? &fixed[k] : &pool[(i / KINDS) % POOL];
    if (sendto(fd, f->b, f->len, 0, (struct sockaddr *)&to, sizeof to) < 0) errors++;
    else sent[k]++, total++;
  }
  double elapsed = now_s() - start;
  printf("{\"sent\":%llu,\"seconds\":%.3f,\"errors\":%llu,\"byKind\":{", total, elapsed, errors);
  for (int k = 0; k < KINDS; k++) printf("%s\"%s\":%llu", k ? "," : "", kind_names[k], sent[k]);
  printf("}}\n");
  return 0;
}
