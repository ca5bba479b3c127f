// A UDP receiver for `ucprobe monitor` that Node's dgram cannot be: every
// datagram comes with the kernel's arrival time (SO_TIMESTAMPNS), the address
// it was sent to (IP_PKTINFO / IPV6_PKTINFO: a socket bound to all addresses
// still knows which one), and the socket's drop counter (SO_RXQ_OVFL), so a
// stalled process judges silence on the packets' clock, never on when it got
// round to reading them. Reads are non-blocking batches (recvmmsg) that the
// caller drains until the queue is empty; the clock sampled just before the
// read that found it empty is the time up to which every datagram was seen.

#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

// Per datagram, in the caller's Float64Array: see META_* in kernel-udp.ts.
enum { M_LEN, M_CAPLEN, M_SEC, M_NSEC, M_SPORT, M_DROPS, M_FAMILY, META_STRIDE };
// Per datagram, in the caller's address Uint8Array: source then destination, 16 bytes each.
enum { ADDR_STRIDE = 32 };
#define MAX_BATCH 256

static napi_value fail(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = NULL;
  switch (err) {
    case EADDRINUSE: code = "EADDRINUSE"; break;
    case EACCES: code = "EACCES"; break;
    case EADDRNOTAVAIL: code = "EADDRNOTAVAIL"; break;
    case EINVAL: code = "EINVAL"; break;
    case EPERM: code = "EPERM"; break;
    default: code = "EIO";
  }
  napi_throw_error(env, code, msg);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static napi_value num(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

static void set(napi_env env, napi_value obj, const char *k, double x) {
  napi_set_named_property(env, obj, k, num(env, x));
}

static int sock_drops(int fd) {
  uint32_t mem[SK_MEMINFO_VARS];
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 || len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) return -1;
  return (int)mem[SK_MEMINFO_DROPS];
}

// open(address: string, port: number, rcvbufBytes: number)
//   -> { fd, port, rcvbuf, forced } ; throws with code EADDRINUSE, EACCES, ...
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char addr[64] = {0};
  size_t alen;
  int64_t port, rcvbuf;
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &alen) != napi_ok || !arg_int(env, argv[1], &port) || !arg_int(env, argv[2], &rcvbuf)) {
    napi_throw_type_error(env, NULL, "open(address, port, rcvbuf)");
    return NULL;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t slen;
  int family;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
    family = AF_INET;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    slen = sizeof *s4;
  } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
    family = AF_INET6;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    slen = sizeof *s6;
  } else {
    return fail(env, "not an IP address", EADDRNOTAVAIL);
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket", errno);
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  // IPv4 on a dual-stack socket reports its destination through IP_PKTINFO.
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  if (family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  int forced = 0;
  if (rcvbuf > 0) {
    int want = rcvbuf > 0x3fffffff ? 0x3fffffff : (int)rcvbuf;
    // FORCE passes net.core.rmem_max (needs CAP_NET_ADMIN); otherwise the kernel caps it there.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) == 0) forced = 1;
    else setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  }
  if (bind(fd, (struct sockaddr *)&ss, slen) != 0) {
    int e = errno;
    close(fd);
    return fail(env, "bind", e);
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  int got = 0;
  socklen_t glen = sizeof got;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &glen);
  napi_value out;
  napi_create_object(env, &out);
  set(env, out, "fd", fd);
  set(env, out, "port", ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port : ((struct sockaddr_in6 *)&bound)->sin6_port));
  // The kernel doubles what is asked for (bookkeeping overhead) and reports the doubled size.
  set(env, out, "rcvbuf", got);
  set(env, out, "forced", forced);
  return out;
}

static void put_addr(uint8_t *dst, const struct sockaddr_storage *ss) {
  memset(dst, 0, 16);
  if (ss->ss_family == AF_INET) memcpy(dst, &((const struct sockaddr_in *)ss)->sin_addr, 4);
  else if (ss->ss_family == AF_INET6) memcpy(dst, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

// recv(fd, data: Uint8Array, slot: number, meta: Float64Array, addrs: Uint8Array, status: Float64Array)
//   -> count of datagrams read into data (slot bytes each). status[0..1] = the realtime clock
//   (s, ns) sampled just before the read; status[2] = 1 when the queue was found empty.
static napi_value Recv(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t fd, slot;
  void *data, *meta, *addrs, *status;
  size_t dlen, mlen, alen, slen;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (argc < 6 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[2], &slot) || slot <= 0
      || napi_get_typedarray_info(env, argv[1], &t, &dlen, &data, &ab, &off) != napi_ok
      || napi_get_typedarray_info(env, argv[3], &t, &mlen, &meta, &ab, &off) != napi_ok || t != napi_float64_array
      || napi_get_typedarray_info(env, argv[4], &t, &alen, &addrs, &ab, &off) != napi_ok
      || napi_get_typedarray_info(env, argv[5], &t, &slen, &status, &ab, &off) != napi_ok || t != napi_float64_array || slen < 3) {
    napi_throw_type_error(env, NULL, "recv(fd, data, slot, meta, addrs, status)");
    return NULL;
  }
  size_t n = dlen / (size_t)slot;
  if (n > mlen / META_STRIDE) n = mlen / META_STRIDE;
  if (n > alen / ADDR_STRIDE) n = alen / ADDR_STRIDE;
  if (n > MAX_BATCH) n = MAX_BATCH;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage from[MAX_BATCH];
  char ctrl[MAX_BATCH][256];
  memset(msgs, 0, sizeof(struct mmsghdr) * n);
  for (size_t i = 0; i < n; i++) {
    iov[i].iov_base = (uint8_t *)data + i * (size_t)slot;
    iov[i].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_control = ctrl[i];
    msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
  }
  double *st = status;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  st[0] = (double)now.tv_sec;
  st[1] = (double)now.tv_nsec;
  int got = recvmmsg((int)fd, msgs, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      st[2] = errno == EINTR ? 0 : 1;
      return num(env, 0);
    }
    return fail(env, "recvmmsg", errno);
  }
  st[2] = (size_t)got < n ? 1 : 0;
  double *m = meta;
  uint8_t *a = addrs;
  for (int i = 0; i < got; i++) {
    double *r = m + (size_t)i * META_STRIDE;
    uint8_t *ad = a + (size_t)i * ADDR_STRIDE;
    r[M_LEN] = msgs[i].msg_len;
    r[M_CAPLEN] = msgs[i].msg_len < (unsigned)slot ? msgs[i].msg_len : (double)slot;
    r[M_SEC] = 0;
    r[M_NSEC] = 0;
    r[M_DROPS] = 0;
    put_addr(ad, &from[i]);
    memset(ad + 16, 0, 16);
    r[M_FAMILY] = from[i].ss_family == AF_INET6 ? 6 : 4;
    r[M_SPORT] = from[i].ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&from[i])->sin6_port) : ntohs(((struct sockaddr_in *)&from[i])->sin_port);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        r[M_SEC] = (double)ts.tv_sec;
        r[M_NSEC] = (double)ts.tv_nsec;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t d;
        memcpy(&d, CMSG_DATA(c), sizeof d);
        r[M_DROPS] = d;
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo p;
        memcpy(&p, CMSG_DATA(c), sizeof p);
        if (from[i].ss_family == AF_INET6) {
          // A v4-mapped peer on a dual-stack socket: both addresses as ::ffff:a.b.c.d.
          memset(ad + 16, 0, 10);
          ad[26] = ad[27] = 0xff;
          memcpy(ad + 28, &p.ipi_addr, 4);
        } else {
          memcpy(ad + 16, &p.ipi_addr, 4);
        }
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo p;
        memcpy(&p, CMSG_DATA(c), sizeof p);
        memcpy(ad + 16, &p.ipi6_addr, 16);
      }
    }
  }
  return num(env, got);
}

// drops(fd) -> datagrams the kernel dropped for this socket so far (its queue was full), or -1.
static napi_value Drops(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !arg_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "drops(fd)");
    return NULL;
  }
  return num(env, sock_drops((int)fd));
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1 && arg_int(env, argv[0], &fd) && fd >= 0) close((int)fd);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
    {"recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL},
    {"drops", NULL, Drops, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
