/* Strings and buffers at the edge of readable memory and of strace's limits, from strace
   6.1's own tests that strace-lite failed (issue 21): a string with no NUL before an
   unreadable page is printed as its address; a path longer than PATH_MAX as its first
   4095 bytes and "..."; a buffer longer than -s needs -s + 1 readable bytes. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
    char *page = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 2 * 4096, 4096, PROT_NONE);
    char *edge = page + 2 * 4096;
    /* No NUL before the unreadable page. */
    memset(edge - 10, 'a', 10);
    syscall(SYS_chdir, edge - 10);
    syscall(SYS_access, edge - 10, 0);
    /* Paths of 4094, 4095, 4096 and 5000 bytes. */
    char *long_path = page;
    for (int n = 4094; n <= 4097; n++) {
        memset(long_path, '/', n);
        long_path[n] = 0;
        syscall(SYS_chdir, long_path);
    }
    memset(long_path, '/', 8000);
    long_path[8000] = 0;
    syscall(SYS_chdir, long_path);
    /* Buffers of 32 (the default -s) and 33 bytes ending at the unreadable page. */
    memset(edge - 40, 'b', 40);
    syscall(SYS_write, -1, edge - 32, 32);
    syscall(SYS_write, -1, edge - 32, 33);
    syscall(SYS_write, -1, edge - 33, 33);
    syscall(SYS_write, -1, edge - 33, 34);
    struct iovec iov = {.iov_base = edge - 32, .iov_len = -1UL};
    syscall(SYS_writev, -1, &iov, 1);
    iov.iov_base = edge - 33;
    syscall(SYS_writev, -1, &iov, 1);
    /* Names the kernel bounds: memfd_create's 250 bytes, a task's 15 (16 with the NUL). */
    memset(edge - 250, 'c', 250);
    syscall(SYS_memfd_create, edge - 250, 0x100);
    syscall(SYS_memfd_create, edge - 249, 0x100);
    memset(edge - 16, 'd', 16);
    prctl(PR_SET_NAME, edge - 16);
    prctl(PR_SET_NAME, edge - 15);
    prctl(PR_GET_NAME, page);
    prctl(PR_SET_PDEATHSIG, SIGINT);
    int sig = 0;
    prctl(PR_GET_PDEATHSIG, &sig);
    return 0;
}
