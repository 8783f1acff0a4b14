/* Times in the stat family and utimensat, where strace's date comments come and go: a
 * file whose times are the epoch itself (no comment), before it, with nanoseconds;
 * statx's fields by its mask and its timestamps' comments after the braces; statx's
 * flags, sync type and AT_ flags both; utimensat's out-of-range nanoseconds (no comment),
 * UTIME_NOW and UTIME_OMIT. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0)
        return 2;
    int fd = open("times", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    close(fd);
    struct timespec epoch[2] = {{0, 0}, {0, 0}};
    utimensat(AT_FDCWD, "times", epoch, 0);
    struct stat st;
    stat("times", &st);
    struct statx stx;
    statx(AT_FDCWD, "times", AT_STATX_SYNC_AS_STAT, STATX_ALL | STATX_MNT_ID, &stx);
    struct timespec before[2] = {{-10843, 135}, {-1, 999999999}};
    utimensat(AT_FDCWD, "times", before, 0);
    stat("times", &st);
    statx(AT_FDCWD, "times", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx);
    statx(AT_FDCWD, "times", AT_STATX_DONT_SYNC | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &stx);
    /* Flags the kernel refuses: both sync bits, AT_ flags statx does not take, unknown bits. */
    syscall(SYS_statx, AT_FDCWD, "times", 0xffff6f00, STATX_ALL, &stx);
    syscall(SYS_statx, AT_FDCWD, "times", 0x0400 | 0xffff0000, STATX_ALL, &stx);
    struct timespec odd[2] = {{-1, 2000000000}, {0, 0}};
    utimensat(AT_FDCWD, "times", odd, 0);
    struct timespec special[2] = {{5, UTIME_NOW}, {6, UTIME_OMIT}};
    utimensat(AT_FDCWD, "times", special, AT_SYMLINK_NOFOLLOW);
    struct timespec big[2] = {{(time_t)0xdeadbeefdeadbeefULL, 0}, {1, 1}};
    utimensat(AT_FDCWD, "times", big, 0);
    unlink("times");
    return 0;
}
