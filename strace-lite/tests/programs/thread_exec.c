/* execve from a thread that is not the leader; the leader is blocked in pause(). */
#include <pthread.h>
#include <unistd.h>

static void *worker(void *arg) {
    (void)arg;
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
