/* A long-running process for -p: writes a tick to a pipe-less fd every 20 ms until killed. */
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec ts = {0, 20000000};
    for (;;) {
        nanosleep(&ts, NULL);
        getppid();
    }
}
