/* A library built three times under three names (-DNAME=one_fn, two_fn, three_fn) for
   remap.c: each makes a getpid from a function of its own name. */
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) long NAME(void) { return syscall(SYS_getpid); }

long entry(void) { return NAME() + 1; }
