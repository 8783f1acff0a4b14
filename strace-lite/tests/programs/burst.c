/* A burst of system calls, then a quiet wait: argv[1] getpid calls, "hot" on stdout, a
 * read of stdin until its end, then what the program sees of how it runs: its CPU count
 * (sched_getaffinity), its policy (sched_getscheduler) and its nice value. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++)
        syscall(SYS_getpid);
    printf("hot\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    printf("cpus %d policy %d nice %d\n", CPU_COUNT(&set), sched_getscheduler(0),
           getpriority(PRIO_PROCESS, 0));
    return 0;
}
