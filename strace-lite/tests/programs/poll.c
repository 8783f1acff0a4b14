/* Readiness family: epoll, poll, ppoll, select, pselect6 on pipes (ready or timed out at once). */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int p[2];
    pipe(p);
    write(p[1], "r", 1);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = p[0]};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    ev.events = EPOLLOUT;
    ev.data.u64 = 0x1234567890;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
    struct epoll_event out[4];
    epoll_wait(ep, out, 4, -1);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
    epoll_pwait(ep, out, 4, 0, NULL);
    epoll_ctl(ep, EPOLL_CTL_MOD, 99, &ev);
    close(ep);
    struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT | POLLIN}};
    poll(fds, 2, -1);
    struct pollfd none = {.fd = p[1], .events = POLLIN};
    poll(&none, 1, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    ppoll(fds, 2, NULL, &mask);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    select(p[1] + 1, &r, &w, NULL, NULL);
    FD_ZERO(&r);
    FD_SET(p[1], &r);
    struct timeval tv = {0, 0};
    select(p[1] + 1, &r, NULL, NULL, &tv);
    struct timespec ts = {0, 0};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    pselect(p[1] + 1, &r, NULL, NULL, &ts, &mask);
    return 0;
}
