/* get_robust_list and set_robust_list: the head and length the kernel writes, a failed
 * call (only addresses then), out-pointers the kernel cannot write, a pid with garbage
 * in the upper half of its register. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    void *head = 0;
    size_t len = 0;
    long pid = (long)(0xdeadbeef00000000ULL | (unsigned long)getpid());
    syscall(SYS_get_robust_list, 0, 0, 0);
    syscall(SYS_get_robust_list, pid, &head, &len);
    syscall(SYS_set_robust_list, head, len);
    syscall(SYS_get_robust_list, 0, &head, &len);
    syscall(SYS_get_robust_list, -1, &head, &len);
    /* Out-pointers the kernel cannot write: a read-only page. */
    char *page = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    syscall(SYS_get_robust_list, 0, page, (size_t *)(page + 8));
    return 0;
}
