/* What -y and -yy print after a descriptor, from strace 6.1's own tests that strace-lite
   failed (issue 21): a deleted file's path, `<path>(deleted)`; a file whose very name ends
   in " (deleted)", not deleted; a path with bytes strace escapes (`<`, `>`, quotes,
   control characters); UNIX sockets with their peer and bound path, abstract ones as @"..".
   Usage: fd_paths DIR */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0)
        return 1;
    int fd = open("a<b>\"c\\d|e\nf\001 g7", O_CREAT | O_RDWR, 0600);
    fchmod(fd, 0600);
    unlink("a<b>\"c\\d|e\nf\001 g7");
    fchmod(fd, 0600);
    close(fd);
    fd = open("sample_file (deleted)", O_CREAT | O_RDWR, 0600);
    fchmod(fd, 0600);
    unlink("sample_file (deleted)");
    fchmod(fd, 0600);
    close(fd);
    fd = open("short", O_CREAT | O_RDWR, 0600);
    unlink("short");
    fchmod(fd, 0600);
    close(fd);

    /* A device: -yy adds its type and numbers inside the brackets. */
    fd = open("/dev/null", O_RDONLY);
    close(fd);

    int pair[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    write(pair[0], "x", 1);
    close(pair[0]);
    close(pair[1]);

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, "fd_paths.socket");
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(addr.sun_path) + 1;
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(listener, (struct sockaddr *)&addr, len);
    listen(listener, 2);
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(client, (struct sockaddr *)&addr, len);
    int server = accept(listener, NULL, NULL);
    write(client, "x", 1);
    close(server);
    close(client);
    /* Another client, unnamed (SO_PASSCRED would autobind it to a random name). */
    client = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(client, (struct sockaddr *)&addr, len);
    server = accept(listener, NULL, NULL);
    write(client, "x", 1);
    close(server);
    close(client);
    /* A datagram socket bound to an abstract name with an unprintable byte. */
    int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un abstract = {.sun_family = AF_UNIX};
    memcpy(abstract.sun_path, "\0fd\npaths", 9);
    bind(dgram, (struct sockaddr *)&abstract, offsetof(struct sockaddr_un, sun_path) + 9);
    write(dgram, "x", 0);
    close(dgram);
    close(listener);
    unlink("fd_paths.socket");
    return 0;
}
