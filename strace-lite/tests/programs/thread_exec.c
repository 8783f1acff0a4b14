/* execve from a thread that is not the leader, once the leader is blocked in pause()
   (the thread polls /proc/self/task/<leader>/syscall; the tests hide those reads). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int leader_in_pause(void) {
    char path[64], buf[32] = {0};
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", getpid());
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    read(fd, buf, sizeof buf - 1);
    close(fd);
    char want[16];
    snprintf(want, sizeof want, "%d ", SYS_pause);
    return strncmp(buf, want, strlen(want)) == 0;
}

static void *worker(void *arg) {
    (void)arg;
    struct timespec ts = {0, 1000000};
    while (!leader_in_pause())
        nanosleep(&ts, NULL);
    char *args[] = {"/bin/true", NULL};
    execve(args[0], args, (char *[]){NULL});
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pause();
    return 1;
}
