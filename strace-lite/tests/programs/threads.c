/* Threads: two workers that write and exit, joined by main. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *worker(void *arg) {
    const char *msg = arg;
    write(1, msg, 6);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, worker, "one.\n\n");
    pthread_join(a, NULL);
    pthread_create(&b, NULL, worker, "two.\n\n");
    pthread_join(b, NULL);
    write(1, "done\n", 5);
    return 0;
}
