/* iovec arrays as strace's print_array prints them: a read that fails (each iov_base as
 * an address), a short read (contents up to the result), an empty array, more elements
 * than -s, an array that runs into an unreadable page, NULL and zero-length bases. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0)
        return 2;
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char a[8], b[8];
    struct iovec two[2] = {{a, sizeof a}, {b, sizeof b}};
    memcpy(a, "abcdefgh", 8);
    memcpy(b, "\1\2\3\4\5\6\7\10", 8);
    pwritev(fd, two, 2, 0);
    preadv(fd, two, 2, 4);         /* short: 12 bytes */
    readv(fd, two, 2);             /* at the end: 0 bytes */
    preadv(fd, two, 2, -1);        /* EINVAL: bases as addresses */
    readv(-1, two, 2);             /* EBADF */
    preadv(fd, two, 0, 0);         /* [] */
    struct iovec nulls[2] = {{NULL, 0}, {NULL, 4}};
    writev(fd, nulls, 2);
    preadv(fd, nulls, 2, 0);

    /* Forty elements: more than -s 32. */
    static struct iovec many[40];
    for (int i = 0; i < 40; i++) {
        many[i].iov_base = a;
        many[i].iov_len = 1;
    }
    writev(fd, many, 40);

    /* An array ending on the last bytes of a page followed by an unreadable one. */
    char *pages = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(pages + 4096, 4096);
    struct iovec *edge = (struct iovec *)(pages + 4096 - 2 * sizeof(struct iovec));
    edge[0] = two[0];
    edge[1] = two[1];
    pwritev(fd, edge, 3, 0);
    preadv(fd, edge, 3, 0);
    preadv(fd, (struct iovec *)(pages + 4096), 1, 0);
    close(fd);
    unlink("data");
    return 0;
}
