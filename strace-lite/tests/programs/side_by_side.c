/* Two threads side by side for MS milliseconds (argv[2]), either making system calls
 * (argv[1] "calls": getppid in a loop) or computing ("compute": no system call in the
 * loop); then the main thread prints its Cpus_allowed_list from /proc to stderr. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int calls;
static long ms;
static volatile long sink;

static long elapsed_ms(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void *work(void *arg) {
    (void)arg;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start); /* the vDSO: no system call */
    while (elapsed_ms(&start) < ms) {
        for (int i = 0; i < 1000; i++) {
            if (calls)
                syscall(SYS_getppid);
            else
                sink++;
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    calls = strcmp(argv[1], "calls") == 0;
    ms = atol(argv[2]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    char line[256];
    FILE *status = fopen("/proc/thread-self/status", "r");
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
            fputs(line, stderr);
    return 0;
}
