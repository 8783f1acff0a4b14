/* Named constants strace 6.1 prints where strace-lite printed numbers, from its own tests
   (issue 21): clock ids from the lower half of their register (a CPU clock's negative id
   is unknown to Debian's strace), a sleep's remaining time only after an
   interruption, mmap's MAP_FILE and huge page size, mlockall's flags. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec ts = {0, 0}, bad = {0, -1}, rem = {7, 7};
    syscall(SYS_clock_settime, 0xdefaced00000001UL, NULL);
    syscall(SYS_clock_settime, 0xdefaced00000000UL, &bad);
    syscall(SYS_clock_getres, 0xdefaced00000001UL, &ts);
    syscall(SYS_clock_getres, -6L, &ts);    /* MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED) */
    syscall(SYS_clock_getres, -2L, &ts);    /* MAKE_THREAD_CPUCLOCK(0, CPUCLOCK_PROF) */
    syscall(SYS_clock_getres, -29L, &ts);   /* FD_TO_CLOCKID(3) */
    syscall(SYS_clock_getres, -1L, &ts);
    syscall(SYS_clock_getres, 100, &ts);
    syscall(SYS_timerfd_create, -6L, 0);
    /* Failed sleeps: the kernel leaves the remaining time alone. */
    syscall(SYS_nanosleep, &bad, &rem);
    syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &bad, &rem);
    syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &bad, &rem);
    syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, NULL, &rem);
    syscall(SYS_nanosleep, &ts, &rem);
    syscall(SYS_mmap, 0, 0, PROT_NONE, 0, 0, 0);
    syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT), -1, 0);
    syscall(SYS_mmap, 0, 4096, PROT_READ, 0xbadc0ded0000000fUL, -1, 0);
    syscall(SYS_mlockall, MCL_FUTURE | 8);
    syscall(SYS_mlockall, 0);
    /* The time zone (invalid microseconds: the clock is never set). */
    struct timezone tz;
    struct timeval tv = {0, 1000000};
    syscall(SYS_gettimeofday, NULL, &tz);
    syscall(SYS_settimeofday, &tv, &tz);
    syscall(SYS_settimeofday, &tv, NULL);
    /* Protection keys: flags and rights from the whole register, the key an int. */
    syscall(SYS_pkey_alloc, 0xdeadbeef00000000UL, 0xbadc0ded00000002UL);
    syscall(SYS_pkey_alloc, 0, 8);
    syscall(SYS_pkey_free, 0xffffffffbb40e64dUL);
    syscall(SYS_pkey_mprotect, 0, 0, PROT_READ, 0xffffffff00000007UL);
    return 0;
}
