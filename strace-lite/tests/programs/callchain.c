/* -k: a call chain through our own functions (main -> level1 -> level2 -> write) and one
   through libc and back (main -> sort_three -> qsort -> compare -> getppid). */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int __attribute__((noinline)) compare(const void *a, const void *b) {
    syscall(SYS_getppid);
    return *(const int *)a - *(const int *)b;
}

static void __attribute__((noinline)) sort_three(void) {
    int v[3] = {3, 1, 2};
    qsort(v, 3, sizeof v[0], compare);
}

static void __attribute__((noinline)) level2(void) { write(1, "x", 1); }

static void __attribute__((noinline)) level1(void) {
    level2();
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

int main(void) {
    level1();
    sort_three();
    return 0;
}
