/* -X raw: constants and structures strace prints raw (socket types, socket addresses of
   every family, signal handlers, siginfo, UTIME_NOW/UTIME_OMIT, statx flags, mmap). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(srv, (struct sockaddr *)&a, sizeof a);
    listen(srv, 4);
    socklen_t len = sizeof a;
    getsockname(srv, (struct sockaddr *)&a, &len);
    int cli = socket(AF_INET, SOCK_STREAM, 0);
    connect(cli, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_in peer;
    len = sizeof peer;
    int conn = accept4(srv, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    close(conn);
    close(cli);
    close(srv);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(7), .sin6_flowinfo = htonl(5), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    connect(s6, (struct sockaddr *)&a6, sizeof a6);
    close(s6);
    struct sockaddr_un u = {.sun_family = AF_UNIX};
    snprintf(u.sun_path, sizeof u.sun_path, "%s/sock", dir);
    int us = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    unlink(u.sun_path);
    bind(us, (struct sockaddr *)&u, sizeof u);
    unlink(u.sun_path);
    close(us);
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 1};
    int ns = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    bind(ns, (struct sockaddr *)&nl, sizeof nl);
    close(ns);
    int sv[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv);
    close(sv[0]);
    close(sv[1]);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    char path[4096];
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    futimens(fd, times);
    struct statx sx;
    syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx);
    syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_SIZE, &sx);
    syscall(SYS_statx, AT_FDCWD, path, 0, 0, &sx);
    close(fd);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, 4096);
    /* SIGCHLD stays pending (blocked), so no signal line races with wait4. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t child = fork();
    if (child == 0)
        _exit(3);
    int status;
    waitpid(child, &status, 0);
    return 0;
}
