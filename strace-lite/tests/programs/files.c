/* File-family syscalls: open/read/write/stat/lseek/getdents/fcntl/dup/pipe/unlink/rename/mkdir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char path[256], path2[256], buf[300];
    if (chdir(dir) != 0) return 2;
    snprintf(path, sizeof path, "data.txt");
    snprintf(path2, sizeof path2, "renamed.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    write(fd, "hello\tworld\n\"quoted\" \\ \x01\x7f\xff end of a fairly long line of text here\n", 66);
    struct iovec iov[2] = {{"abc", 3}, {"defgh", 5}};
    writev(fd, iov, 2);
    pwrite(fd, "XY", 2, 100);
    fsync(fd);
    close(fd);
    fd = openat(AT_FDCWD, path, O_RDONLY);
    read(fd, buf, 10);
    read(fd, buf, sizeof buf);
    pread(fd, buf, 4, 2);
    lseek(fd, 0, SEEK_SET);
    lseek(fd, -5, SEEK_END);
    char a[4], b[8];
    struct iovec riov[2] = {{a, 4}, {b, 8}};
    lseek(fd, 0, SEEK_SET);
    readv(fd, riov, 2);
    struct stat st;
    fstat(fd, &st);
    stat(path, &st);
    lstat(path, &st);
    fcntl(fd, F_GETFD);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int d = dup(fd);
    dup2(d, 10);
    dup3(10, 11, O_CLOEXEC);
    fcntl(fd, F_DUPFD_CLOEXEC, 20);
    close(d); close(10); close(11); close(20);
    close(fd);
    open("/nonexistent/file", O_RDONLY);
    access(path, R_OK | W_OK);
    access("/nonexistent", F_OK);
    faccessat(AT_FDCWD, path, X_OK, 0);
    int p[2];
    pipe(p);
    close(p[0]); close(p[1]);
    pipe2(p, O_CLOEXEC | O_NONBLOCK);
    close(p[0]); close(p[1]);
    mkdir("subdir", 0755);
    rename(path, path2);
    renameat(AT_FDCWD, path2, AT_FDCWD, path);
    unlink(path);
    unlinkat(AT_FDCWD, "subdir", AT_REMOVEDIR);
    rmdir("nonexistent-dir");
    fd = open(".", O_RDONLY | O_DIRECTORY);
    syscall(SYS_getdents64, fd, buf, sizeof buf);
    close(fd);
    struct winsize ws;
    ioctl(1, TIOCGWINSZ, &ws);
    struct termios t;
    ioctl(0, TCGETS, &t);
    ioctl(99, FIONREAD, &d);
    getcwd(buf, sizeof buf);
    umask(022);
    struct { unsigned long long flags, mode, resolve; } how = {O_RDONLY | O_CLOEXEC, 0, 0x8 /* RESOLVE_BENEATH */};
    fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
    close(fd);
    struct { unsigned long long flags, mode, resolve; } how2 = {O_WRONLY | O_CREAT | O_EXCL, 0600, 0};
    fd = syscall(SYS_openat2, AT_FDCWD, "made", &how2, sizeof how2);
    close(fd);
    return 3;
}
