/* open's mode and openat2's struct open_how: the mode strace prints for O_CREAT and for
 * the __O_TMPFILE bit alone, and a caller's open_how larger than the 24 bytes strace
 * knows: a zero rest (nothing printed), a non-zero one (its bytes in hex, cut at -s), one
 * that runs into an unreadable page (`???`), one larger than a page. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

struct open_how_24 {
    uint64_t flags, mode, resolve;
};

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0)
        return 2;
    int fd = openat(AT_FDCWD, ".", O_RDWR | O_TMPFILE, 0600);
    close(fd);
    syscall(SYS_openat, -1, "tmp", O_RDONLY | __O_TMPFILE, 0640);
    syscall(SYS_openat, -1, "tmp", O_WRONLY | O_CREAT, 0);
    syscall(SYS_open, "no/such/file", O_RDONLY | __O_TMPFILE, 0);

    /* Two pages, the second unreadable: a struct ending on the first page's last byte. */
    char *pages = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(pages + 4096, 4096, PROT_NONE);
    struct open_how_24 how = {O_RDONLY, 0600, 0};
    syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
    how.mode = 0;
    how.flags = O_RDONLY | O_DIRECTORY;

    /* 32 bytes, the 8 past open_how zero (the kernel accepts them), then not zero. */
    char *big = pages + 4096 - 64;
    memcpy(big, &how, sizeof how);
    fd = syscall(SYS_openat2, AT_FDCWD, ".", big, 32);
    close(fd);
    for (int i = 24; i < 64; i++)
        big[i] = (char)(0x80 + i);
    syscall(SYS_openat2, AT_FDCWD, ".", big, 32);
    /* 64 bytes: 40 past open_how, more than -s's 32. */
    syscall(SYS_openat2, AT_FDCWD, ".", big, 64);
    /* Running into the unreadable page. */
    syscall(SYS_openat2, AT_FDCWD, ".", big, 72);
    /* Too short to be an open_how at all. */
    syscall(SYS_openat2, AT_FDCWD, ".", big, 16);

    /* Larger than a page: strace reads the rest up to one page. */
    char *huge = pages;
    memset(huge, 0, 4096);
    memcpy(huge, &how, sizeof how);
    huge[4000] = 1;
    syscall(SYS_openat2, AT_FDCWD, ".", huge, 4096);
    syscall(SYS_openat2, AT_FDCWD, ".", huge, 10000);
    return 0;
}
