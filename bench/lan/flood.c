// flood: sends invalid VRRP packets to 224.0.0.18 from a LAN client, as whole Ethernet frames on an
// AF_PACKET socket (so TTL, checksums and lengths are exactly what we write). Six kinds, in turn:
//   wrong-ttl      a valid VRRPv3 advert (the routers' VRID, priority 254 by default, good checksum), TTL 64
//   bad-checksum   the same advert, TTL 255, checksum off by one
//   bad-version    version 1, TTL 255, checksum good
//   bad-type       type 2, TTL 255, checksum good
//   truncated      the first 6 bytes of the advert (the IP total length says 26)
//   random         1..64 random bytes as the VRRP payload (a pool of 64 frames)
// A wrong-TTL or bad-checksum advert that got through would make the Master step down (priority 254).
//
// usage: flood IFACE VRID VIP RATE SECONDS [KINDS [PRIORITY]]
//   RATE packets/s, 0 = as fast as it can; KINDS a comma list of kind names (default all six);
//   PRIORITY of the advert-shaped kinds (default 254)
// Prints one JSON line at the end: {"sent":N,"seconds":S,"byKind":{...},"errors":E}.
// Built by bench/lan/hostile.ts with `cc -O2`; runs inside the client namespace (root or CAP_NET_RAW).

#include <arpa/inet.h>
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

enum { KINDS = 6, POOL = 64, MAXF = 128 };
static const char *kind_names[KINDS] = {"wrong-ttl", "bad-checksum", "bad-version", "bad-type", "truncated", "random"};
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

int main(int argc, char **argv) {
  if (argc < 6 || argc > 8) {
    fprintf(stderr, "usage: flood IFACE VRID VIP RATE SECONDS [KINDS [PRIORITY]]\n");
    return 2;
  }
  int use[KINDS], nuse = 0;
  for (int k = 0; k < KINDS; k++) {
    if (argc >= 7) {
      char list[256];
      snprintf(list, sizeof list, ",%s,", argv[6]);
      char name[32];
      snprintf(name, sizeof name, ",%s,", kind_names[k]);
      if (strstr(list, name) == NULL) continue;
    }
    use[nuse++] = k;
  }
  if (nuse == 0) { fprintf(stderr, "no known kind in %s\n", argv[6]); return 2; }
  const char *iface = argv[1];
  uint8_t vrid = (uint8_t)atoi(argv[2]);
  uint32_t vip;
  if (inet_pton(AF_INET, argv[3], &vip) != 1) { fprintf(stderr, "bad VIP\n"); return 2; }
  double rate = atof(argv[4]), seconds = atof(argv[5]);
  if (argc == 8) priority = (uint8_t)atoi(argv[7]);

  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
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

  frame_t fixed[KINDS - 1], pool[POOL];
  uint8_t v[64];
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
    const frame_t *f = k < KINDS - 1 ? &fixed[k] : &pool[(i / KINDS) % POOL];
    if (sendto(fd, f->b, f->len, 0, (struct sockaddr *)&to, sizeof to) < 0) errors++;
    else sent[k]++, total++;
  }
  double elapsed = now_s() - start;
  printf("{\"sent\":%llu,\"seconds\":%.3f,\"errors\":%llu,\"byKind\":{", total, elapsed, errors);
  for (int k = 0; k < KINDS; k++) printf("%s\"%s\":%llu", k ? "," : "", kind_names[k], sent[k]);
  printf("}}\n");
  return 0;
}
