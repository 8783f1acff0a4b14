/* Values strace prints unsigned or by its own rules, from strace 6.1's own tests that
   strace-lite failed (issue 21): garbage timespec/timeval nanoseconds and microseconds,
   close_range's bounds, sendfile's offset, futex operations, and pollfd arrays (a negative
   fd has no events; an array that runs into unreadable memory). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

int main(void) {
    /* A readable page followed by an unreadable one. */
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 4096, 4096, PROT_NONE);
    char *edge = page + 4096;

    long junk[4] = {-3819351491602432273L, -4982091772012331283L, 1, -5L};
    struct timespec *ts = (struct timespec *)junk;
    syscall(SYS_ppoll, NULL, 0, ts, NULL, 8);
    syscall(SYS_select, 0, NULL, NULL, NULL, junk);
    syscall(SYS_pselect6, 0, NULL, NULL, NULL, ts, NULL);
    syscall(SYS_setitimer, ITIMER_REAL, junk, NULL);
    syscall(SYS_timerfd_settime, -1, 0, junk, NULL);
    syscall(SYS_nanosleep, ts, NULL);

    syscall(SYS_close_range, -2, -1, 1);
    syscall(SYS_close_range, 1000, 999, 6);
    uint64_t off = 0xcafef00dbadc0dedULL;
    syscall(SYS_sendfile, -1, -1, &off, 1);
    syscall(SYS_sendfile, -1, -1, NULL, 1);
    syscall(SYS_sendfile, -1, -1, edge, 1);

    uint32_t word = 0;
    syscall(SYS_futex, &word, 0xbefeeded, 1, ts, NULL, 0);
    syscall(SYS_futex, &word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0);
    syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, ts, NULL, -1);
    syscall(SYS_futex, &word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x1234);
    syscall(SYS_futex, &word, FUTEX_WAKE_OP_PRIVATE, 1, 2, &word,
            FUTEX_OP(FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 1, FUTEX_OP_CMP_GT, 2));
    syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 2, &word, 0x7f000000 | 0xabc);
    syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE, 1, 2, &word, 3);
    syscall(SYS_futex, &word, FUTEX_UNLOCK_PI, 1, 2, &word, 3);
    syscall(SYS_futex, &word, FUTEX_FD, 7, 2, &word, 3);

    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    struct pollfd fds[3] = {{.fd = -1, .events = POLLIN}, {.fd = p[1], .events = POLLOUT},
                            {.fd = p[0], .events = POLLIN}};
    poll(fds, 3, 0);
    poll(fds, 1, 0);
    /* Two pollfds readable, the third one past the end of the page. */
    struct pollfd *tail = (struct pollfd *)(edge - 2 * sizeof(struct pollfd));
    memcpy(tail, fds, 2 * sizeof(struct pollfd));
    syscall(SYS_poll, tail, 3, 0);
    syscall(SYS_poll, edge, 1, 0);
    syscall(SYS_poll, NULL, 0, 0);
    struct timespec zero = {0, 0};
    syscall(SYS_ppoll, fds + 1, 1, &zero, NULL, 8);
    return 0;
}
