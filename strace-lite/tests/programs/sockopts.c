/* Socket options as strace 6.1 prints them, from its own tests that strace-lite failed
   (issue 21, sockopt-sol_socket and so_linger): an int option whose length does not hold
   an int (the bytes in hex, or the address), SO_LINGER cut short, SO_TXREHASH's names,
   options strace names only in its full table, and lengths the kernel never returns. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_TXREHASH
#define SO_TXREHASH 74
#endif

int main(void) {
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 4096, 4096, PROT_NONE);
    int *val = (int *)(page + 4096 - sizeof(int));  /* an int at the end of the page */
    int *big = (int *)(page + 4096 - 2 * sizeof(int));
    socklen_t *len = (socklen_t *)page;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    static const int names[] = {SO_DEBUG, SO_SNDBUF, SO_TYPE, SO_PEEK_OFF, SO_MARK,
                                SO_BINDTODEVICE, SO_PEERSEC, SO_COOKIE, SO_TXREHASH, 76};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        *len = 4;
        getsockopt(fd, SOL_SOCKET, names[i], val, len);
        *len = 5;
        getsockopt(fd, SOL_SOCKET, names[i], val, len);
        *len = 5;
        getsockopt(fd, SOL_SOCKET, names[i], big, len);
        *len = 3;
        getsockopt(fd, SOL_SOCKET, names[i], val, len);
        *len = 0;
        getsockopt(fd, SOL_SOCKET, names[i], NULL, len);
        getsockopt(fd, SOL_SOCKET, names[i], val, (socklen_t *)(page + 4096));
        *val = 1;
        setsockopt(fd, SOL_SOCKET, names[i], val, 4);
        setsockopt(fd, SOL_SOCKET, names[i], val, 5);
        setsockopt(fd, SOL_SOCKET, names[i], val, 3);
        setsockopt(fd, SOL_SOCKET, names[i], val, -1);
        setsockopt(fd, SOL_SOCKET, names[i], NULL, 0);
    }
    /* SO_LINGER: whole, cut in each field, too long to read. */
    struct linger *l = (struct linger *)(page + 4096 - sizeof(struct linger));
    l->l_onoff = 1;
    l->l_linger = 42;
    setsockopt(fd, SOL_SOCKET, SO_LINGER, l, sizeof *l);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, l, sizeof *l - 1);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, l, -1);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, (char *)l + 1, sizeof *l);
    for (unsigned n = 1; n <= sizeof *l + 1; n++) {
        *len = n;
        getsockopt(fd, SOL_SOCKET, SO_LINGER, l, len);
    }
    int rehash = 255;
    setsockopt(fd, SOL_SOCKET, SO_TXREHASH, &rehash, sizeof rehash);
    rehash = 7;
    setsockopt(fd, SOL_SOCKET, SO_TXREHASH, &rehash, sizeof rehash);
    /* Levels other than SOL_SOCKET: a named option unknown to the table, a bare number. */
    setsockopt(fd, IPPROTO_TCP, 0x7fff, val, 4);
    setsockopt(fd, IPPROTO_IP, 0x7fff, val, 4);
    setsockopt(fd, 0x7fff, 0x7fff, val, 4);
    close(fd);
    return 0;
}
