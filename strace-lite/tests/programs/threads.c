/* Threads: two workers, each blocked on a pipe until main lets it write and exit. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int go[2];

static void *worker(void *arg) {
    const char *msg = arg;
    char c;
    read(go[0], &c, 1);
    write(1, msg, 6);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pipe(go);
    pthread_create(&a, NULL, worker, "one.\n\n");
    write(go[1], "a", 1);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, worker, "two.\n\n");
    write(go[1], "b", 1);
    pthread_join(b, NULL);
    write(1, "done\n", 5);
    return 0;
}
