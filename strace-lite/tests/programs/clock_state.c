/* The clock's state, read without changing it: adjtimex and clock_adjtime with modes 0
 * and ADJ_OFFSET_SS_READ (struct timex, and the state after the result), NULL and an
 * unknown clock; time() with and without a place to store it, and one it cannot write.
 * The times differ from run to run: the tests compare their form. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    syscall(SYS_adjtimex, &tx);
    tx.modes = ADJ_OFFSET_SS_READ;
    syscall(SYS_adjtimex, &tx);
    syscall(SYS_adjtimex, NULL);
    memset(&tx, 0, sizeof tx);
    syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
    syscall(SYS_clock_adjtime, 12345, &tx);
    syscall(SYS_clock_adjtime, CLOCK_REALTIME, NULL);
    time_t t;
    syscall(SYS_time, NULL);
    syscall(SYS_time, &t);
    syscall(SYS_time, (time_t *)8);
    return 0;
}
