/* Prints, to stderr, the scheduling policy of the main thread and of a new thread, three
 * ways: sched_getscheduler, sched_getattr, and field 41 of /proc/thread-self/stat (which
 * strace-lite does not rewrite). argv[1] first: "other" sets SCHED_OTHER itself; "keep"
 * calls sched_setattr with SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS (a call that
 * changes nothing). Lines: "main 0 0 3" (getscheduler, getattr, /proc). */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
};

static int proc_policy(void) {
    char buf[1024];
    FILE *f = fopen("/proc/thread-self/stat", "r");
    if (!f || !fgets(buf, sizeof buf, f))
        return -1;
    fclose(f);
    /* Fields after the command name, which ends at the last ')'. */
    char *p = strrchr(buf, ')');
    int field = 2;
    while (p && *p && field < 41) {
        if (*p++ == ' ')
            field++;
    }
    return p ? atoi(p) : -1;
}

static void report(const char *who) {
    struct attr a = {0};
    long r = syscall(SYS_sched_getattr, 0, &a, sizeof a, 0);
    fprintf(stderr, "%s %d %d %d\n", who, sched_getscheduler(0), r == 0 ? (int)a.policy : -1,
            proc_policy());
}

static void *thread(void *arg) {
    (void)arg;
    report("thread");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "other") == 0) {
        struct sched_param p = {0};
        if (sched_setscheduler(0, SCHED_OTHER, &p) != 0)
            return 2;
    } else if (argc > 1 && strcmp(argv[1], "keep") == 0) {
        struct attr a = {.size = sizeof a, .flags = 0x08 | 0x10};
        if (syscall(SYS_sched_setattr, 0, &a, 0) != 0)
            return 2;
    }
    report("main");
    pthread_t t;
    pthread_create(&t, NULL, thread, NULL);
    pthread_join(t, NULL);
    return 0;
}
