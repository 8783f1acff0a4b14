/* tcpbench: the upstream and the load of bench/proxy/run, the same for every proxy.
 *
 *   tcpbench serve PORT                        the upstream (one thread, epoll)
 *   tcpbench get  HOST PORT SIZE COUNT         COUNT downloads of SIZE bytes, one at a time
 *   tcpbench put  HOST PORT SIZE COUNT         COUNT uploads of SIZE bytes, one at a time
 *   tcpbench rate HOST PORT CONC SECONDS SIZE  short connections, CONC at once, SIZE down each
 *   tcpbench rr   HOST PORT CONC SECONDS SIZE  CONC connections, SIZE-byte request/response
 *
 * A connection to the upstream starts with a 9-byte header, an operation and a size
 * (little-endian u64): 'D' sends SIZE bytes and closes; 'U' reads to EOF and answers the
 * count (8 bytes); 'E' echoes whatever comes until EOF. Every client checks the counts it
 * gets and exits 1 on any short or failed connection.
 *
 * get/put print "BYTES SECONDS"; rate prints "CONNECTIONS SECONDS"; rr prints
 * "REQUESTS SECONDS P99_MICROSECONDS".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF (1 << 20)
static char buf[BUF];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void nonblock(int fd) {
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl");
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct sockaddr_in addr_of(const char *host, const char *port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "tcpbench: bad address %s\n", host);
    exit(1);
  }
  return a;
}

static void header(char h[9], char op, uint64_t size) {
  h[0] = op;
  memcpy(h + 1, &size, 8); /* x86-64 and arm64: little-endian */
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    p += w;
    n -= (size_t)w;
  }
}

/* ---- the upstream ---- */

enum { HDR, SEND, DRAIN, ECHO };
struct conn {
  int state;
  char hdr[9];
  int hlen;
  char op;
  uint64_t size, done;
  char *pending; /* ECHO: bytes read but not yet sent back */
  size_t plen, poff;
};
static struct conn *conns[1 << 20];

static void close_conn(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(conns[fd]->pending);
  free(conns[fd]);
  conns[fd] = NULL;
}

static void want(int ep, int fd, uint32_t ev) {
  struct epoll_event e = {.events = ev, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

/* Moves a connection on as far as it can without blocking. */
static void drive(int ep, int fd) {
  struct conn *c = conns[fd];
  for (;;) {
    if (c->state == HDR) {
      ssize_t r = recv(fd, c->hdr + c->hlen, 9 - c->hlen, 0);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return close_conn(ep, fd);
      if (r < 0) return;
      c->hlen += (int)r;
      if (c->hlen < 9) continue;
      c->op = c->hdr[0];
      memcpy(&c->size, c->hdr + 1, 8);
      if (c->op == 'D') {
        c->state = SEND;
        want(ep, fd, EPOLLOUT);
      } else if (c->op == 'U') {
        c->state = DRAIN;
      } else if (c->op == 'E') {
        c->state = ECHO;
      } else {
        return close_conn(ep, fd);
      }
    } else if (c->state == SEND) {
      uint64_t left = c->size - c->done;
      if (left == 0) return close_conn(ep, fd);
      ssize_t w = send(fd, buf, left < BUF ? left : BUF, MSG_NOSIGNAL);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (w < 0) return close_conn(ep, fd);
      c->done += (uint64_t)w;
    } else if (c->state == DRAIN) {
      ssize_t r = recv(fd, buf, BUF, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (r < 0) return close_conn(ep, fd);
      if (r > 0) {
        c->done += (uint64_t)r;
        continue;
      }
      /* EOF: the count, then close (8 bytes fit in any send buffer). */
      send(fd, &c->done, 8, MSG_NOSIGNAL);
      return close_conn(ep, fd);
    } else { /* ECHO */
      if (c->plen > c->poff) {
        ssize_t w = send(fd, c->pending + c->poff, c->plen - c->poff, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) return want(ep, fd, EPOLLOUT);
        if (w < 0) return close_conn(ep, fd);
        c->poff += (size_t)w;
        if (c->poff < c->plen) continue;
        c->plen = c->poff = 0;
        want(ep, fd, EPOLLIN);
      }
      ssize_t r = recv(fd, buf, 65536, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (r <= 0) return close_conn(ep, fd);
      ssize_t w = send(fd, buf, (size_t)r, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR) return close_conn(ep, fd);
      if (w < 0) w = 0;
      if (w < r) {
        if (!c->pending) c->pending = malloc(65536);
        memcpy(c->pending, buf + w, (size_t)(r - w));
        c->plen = (size_t)(r - w);
        c->poff = 0;
      }
    }
  }
}

static _Noreturn void serve(const char *port) {
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = addr_of("127.0.0.1", port);
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(l, 4096) < 0) die("listen");
  nonblock(l);
  int ep = epoll_create1(0);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &e);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (c >= (1 << 20)) {
            close(c);
            continue;
          }
          nodelay(c);
          conns[c] = calloc(1, sizeof(struct conn));
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
      } else if (conns[fd]) {
        drive(ep, fd);
      }
    }
  }
}

/* ---- the clients ---- */

static int dial(struct sockaddr_in *a) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)a, sizeof *a) < 0) die("connect");
  nodelay(fd);
  return fd;
}

static int get_put(int put, struct sockaddr_in *a, uint64_t size, long count) {
  double t0 = now();
  for (long i = 0; i < count; i++) {
    int fd = dial(a);
    char h[9];
    header(h, put ? 'U' : 'D', size);
    write_all(fd, h, 9);
    uint64_t got = 0;
    if (put) {
      for (uint64_t sent = 0; sent < size;) {
        size_t n = size - sent < BUF ? size - sent : BUF;
        write_all(fd, buf, n);
        sent += n;
      }
      shutdown(fd, SHUT_WR);
      uint64_t echoed = 0;
      size_t have = 0;
      ssize_t r;
      while (have < 8 && (r = recv(fd, (char *)&echoed + have, 8 - have, 0)) > 0) have += r;
      got = have == 8 ? echoed : 0;
    } else {
      ssize_t r;
      while ((r = recv(fd, buf, BUF, 0)) > 0) got += (uint64_t)r;
      if (r < 0) die("recv");
    }
    close(fd);
    if (got != size) {
      fprintf(stderr, "tcpbench: transfer %ld moved %llu bytes of %llu\n", i,
              (unsigned long long)got, (unsigned long long)size);
      return 1;
    }
  }
  printf("%llu %.6f\n", (unsigned long long)(size * count), now() - t0);
  return 0;
}

struct slot {
  int fd;
  uint64_t got;
  size_t sent;
  double start;
};

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* Opens slot i's connection, non-blocking; its writability says it is connected. */
static void open_slot(int ep, struct slot *s, struct sockaddr_in *a, int i) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  nodelay(fd);
  int r = connect(fd, (struct sockaddr *)a, sizeof *a);
  if (r < 0 && errno != EINPROGRESS) die("connect");
  s[i] = (struct slot){.fd = fd, .start = now()};
  struct epoll_event e = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* rate: short connections (connect, header, SIZE bytes down, EOF, close), CONC at once.
 * rr: CONC kept connections, each sending SIZE bytes and waiting for them back, again. */
static int load(int rr, struct sockaddr_in *a, int conc, double seconds, uint64_t size) {
  int ep = epoll_create1(0);
  struct slot *s = calloc((size_t)conc, sizeof *s);
  size_t cap = 1 << 16, nlat = 0;
  double *lat = rr ? malloc(cap * sizeof *lat) : NULL;
  long done = 0, failed = 0;
  char h[9];
  header(h, rr ? 'E' : 'D', size);
  char *req = calloc(1, size + 1);

  for (int i = 0; i < conc; i++) open_slot(ep, s, a, i);

  double t0 = now(), end = t0 + seconds;
  struct epoll_event evs[256];
  while (now() < end) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int k = 0; k < n; k++) {
      int i = (int)evs[k].data.u32;
      struct slot *c = &s[i];
      if (evs[k].events & EPOLLOUT) {
        /* Connected (or failed): the header, and for rr the first request. */
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          failed++;
          close(c->fd);
          open_slot(ep, s, a, i);
          continue;
        }
        write_all(c->fd, h, 9);
        if (rr) {
          c->start = now();
          write_all(c->fd, req, size);
        }
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        continue;
      }
      ssize_t r = recv(c->fd, buf, BUF, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r > 0) c->got += (uint64_t)r;
      if (rr) {
        if (r <= 0) {
          fprintf(stderr, "tcpbench: a kept connection ended\n");
          return 1;
        }
        if (c->got == size) {
          double t = now();
          if (nlat == cap) lat = realloc(lat, (cap *= 2) * sizeof *lat);
          lat[nlat++] = t - c->start;
          done++;
          c->got = 0;
          c->start = t;
          write_all(c->fd, req, size);
        }
        continue;
      }
      if (r == 0 || r < 0) {
        if (c->got == size && r == 0) done++;
        else failed++;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        open_slot(ep, s, a, i);
      }
    }
  }
  double took = now() - t0;
  if (failed > 0) {
    fprintf(stderr, "tcpbench: %ld connections failed or came short\n", failed);
    return 1;
  }
  if (rr) {
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double p99 = nlat ? lat[(size_t)((double)(nlat - 1) * 0.99)] : 0;
    printf("%ld %.6f %.1f\n", done, took, p99 * 1e6);
  } else {
    printf("%ld %.6f\n", done, took);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "serve")) serve(argv[2]);
  if (argc == 6 && (!strcmp(argv[1], "get") || !strcmp(argv[1], "put"))) {
    struct sockaddr_in a = addr_of(argv[2], argv[3]);
    return get_put(argv[1][0] == 'p', &a, strtoull(argv[4], NULL, 10), atol(argv[5]));
  }
  if (argc == 7 && (!strcmp(argv[1], "rate") || !strcmp(argv[1], "rr"))) {
    struct sockaddr_in a = addr_of(argv[2], argv[3]);
    return load(argv[1][1] == 'r', &a, atoi(argv[4]), atof(argv[5]), strtoull(argv[6], NULL, 10));
  }
  fprintf(stderr, "usage: see the comment at the top of tcpbench.c\n");
  return 2;
}
