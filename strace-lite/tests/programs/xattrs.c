/* The xattr calls as strace 6.1 prints them, from its own xattr test that strace-lite
   failed (issue 21): a value past XATTR_SIZE_MAX or of a failed call as its address, a
   last NUL left out, a list of size 0 as its address, the remove calls.
   Usage: xattrs DIR */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0)
        return 1;
    int fd = open("xattr_file", O_CREAT | O_RDWR, 0600);
    char buf[64];
    char *big = calloc(1, 65537);
    setxattr("xattr_file", "user.a", "value", 5, 0);
    setxattr("xattr_file", "user.b", "nul\0", 4, XATTR_CREATE);
    getxattr("xattr_file", "user.a", buf, sizeof buf);
    getxattr("xattr_file", "user.b", buf, sizeof buf);
    getxattr("xattr_file", "user.a", NULL, 0);
    getxattr("xattr_file", "user.none", buf, sizeof buf);
    fgetxattr(fd, "user.a", buf, 2);
    syscall(SYS_fsetxattr, -1, "user.c", big, 65537, XATTR_CREATE);
    syscall(SYS_fsetxattr, -1, "user.c", big, 65536, 0);
    listxattr("xattr_file", buf, 0);
    listxattr("xattr_file", buf, sizeof buf);
    flistxattr(-1, buf, sizeof buf);
    removexattr("xattr_file", "user.a");
    fremovexattr(fd, "user.b");
    fremovexattr(-1, "user.b");
    close(fd);
    unlink("xattr_file");
    return 0;
}
