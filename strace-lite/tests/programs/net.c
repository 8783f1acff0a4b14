/* Network family: TCP over IPv4 and IPv6 loopback, a UNIX socketpair and a named UNIX socket. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void tcp4(void) {
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    int one = 1;
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(srv, (struct sockaddr *)&a, sizeof a);
    listen(srv, 16);
    socklen_t len = sizeof a;
    getsockname(srv, (struct sockaddr *)&a, &len);
    int cli = socket(AF_INET, SOCK_STREAM, 0);
    connect(cli, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_in peer;
    len = sizeof peer;
    int conn = accept4(srv, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int err = -1;
    len = sizeof err;
    getsockopt(cli, SOL_SOCKET, SO_ERROR, &err, &len);
    sendto(cli, "ping", 4, MSG_NOSIGNAL, NULL, 0);
    char buf[64];
    recvfrom(conn, buf, sizeof buf, 0, NULL, NULL);
    struct iovec iov[2] = {{"po", 2}, {"ng", 2}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    sendmsg(conn, &m, 0);
    char r1[3], r2[8];
    struct iovec riov[2] = {{r1, 3}, {r2, 8}};
    struct msghdr rm = {.msg_iov = riov, .msg_iovlen = 2};
    recvmsg(cli, &rm, 0);
    len = sizeof peer;
    getpeername(cli, (struct sockaddr *)&peer, &len);
    shutdown(cli, SHUT_WR);
    recv(conn, buf, sizeof buf, 0);
    close(cli);
    close(conn);
    close(srv);
}

static void tcp6(void) {
    int s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = 0, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bind(s, (struct sockaddr *)&a, sizeof a);
    listen(s, 1);
    accept(s, NULL, NULL);
    close(s);
}

static void unix_sockets(const char *dir) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "x", 1);
    read(sv[1], (char[4]){0}, 4);
    close(sv[0]);
    close(sv[1]);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s/sock", dir);
    unlink(a.sun_path);
    bind(s, (struct sockaddr *)&a, sizeof a);
    sendto(s, "self", 4, 0, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_un from;
    socklen_t len = sizeof from;
    char buf[16];
    recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    unlink(a.sun_path);
    close(s);
    int bad = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un none = {.sun_family = AF_UNIX, .sun_path = "/nonexistent/sock"};
    connect(bad, (struct sockaddr *)&none, sizeof none);
    close(bad);
}

int main(int argc, char **argv) {
    tcp4();
    tcp6();
    unix_sockets(argc > 1 ? argv[1] : "/tmp");
    return 0;
}
