/* clone3's struct clone_args: a child made with CLONE_PIDFD and CLONE_PARENT_SETTID (the
 * pidfd and tid the kernel writes, shown at exit), a set_tid array, a cgroup, an exit
 * signal past INT_MAX, a struct larger than the 88 bytes strace knows (its rest zero,
 * not zero, unreadable), and one too short to decode. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
        set_tid, set_tid_size, cgroup;
};

int main(void) {
    /* Two pages, the second unreadable: structs end on the first page's last byte. */
    char *pages = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(pages + 4096, 4096, PROT_NONE);
    struct args *a = (struct args *)(pages + 4096 - 128);
    memset(a, 0, 128);

    int pidfd = -1, tid = 0;
    a->flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    a->pidfd = (uintptr_t)&pidfd;
    a->parent_tid = (uintptr_t)&tid;
    /* No exit signal: a SIGCHLD would come before or after wait4, as it happens. */
    long pid = syscall(SYS_clone3, a, sizeof *a);
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, __WCLONE);
    close(pidfd);

    /* The kernel refuses these; strace shows what they hold. */
    memset(a, 0, 128);
    int tids[2] = {2, 1};
    a->set_tid = (uintptr_t)tids;
    a->set_tid_size = 2;
    a->exit_signal = 0xdeadface00000000ULL | SIGCHLD;
    syscall(SYS_clone3, a, sizeof *a);
    a->set_tid_size = 33;
    syscall(SYS_clone3, a, sizeof *a);
    a->set_tid_size = 0;
    a->flags = CLONE_INTO_CGROUP | CLONE_SETTLS | CLONE_CHILD_SETTID;
    a->exit_signal = 300;
    a->cgroup = 12345;
    syscall(SYS_clone3, a, sizeof *a);
    syscall(SYS_clone3, a, 80);
    memset(a, 0, 128);
    ((char *)a)[100] = 7;
    syscall(SYS_clone3, a, 104);
    syscall(SYS_clone3, a, 128);
    syscall(SYS_clone3, a, 136);
    syscall(SYS_clone3, a, 56);
    syscall(SYS_clone3, NULL, 0);
    return 0;
}
