/* A long-running process for -p: the main thread and a second thread each loop on a
   20 ms nanosleep followed by a cheap syscall, until killed. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static void *tick(void *arg) {
    (void)arg;
    struct timespec ts = {0, 20000000};
    for (;;) {
        nanosleep(&ts, NULL);
        getppid();
    }
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, tick, NULL);
    tick(NULL);
    return 0;
}
