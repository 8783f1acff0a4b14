/* 32-bit system calls made with `int $0x80` from a 64-bit program: i386 numbers (getpid
   is 20, write 4), told apart from x86_64 calls by PTRACE_GET_SYSCALL_INFO's arch. */
#include <unistd.h>

static long int80(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

static char msg[] = "hi from int 0x80\n";

int main(void) {
    getppid();
    int80(20, 0, 0, 0);                           /* getpid */
    int80(4, 1, (long)msg, sizeof msg - 1);       /* write(1, msg, 17) */
    int80(9999, 1, 2, 3);                         /* no such call */
    getppid();
    return 0;
}
