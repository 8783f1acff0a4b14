/* `napper MS CODE`: one nanosleep of MS milliseconds (made with syscall(2), so it is
   nanosleep and not clock_nanosleep), a getppid, and exit with CODE. `napper read CODE`
   reads one byte from stdin instead of sleeping. Attached to while it waits, it shows
   what strace shows of a call interrupted by the attach. */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "read") == 0) {
        char c;
        read(0, &c, 1);
    } else {
        long ms = argc > 1 ? atol(argv[1]) : 0;
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
        syscall(SYS_nanosleep, &ts, NULL);
    }
    getppid();
    return argc > 2 ? atoi(argv[2]) : 0;
}
