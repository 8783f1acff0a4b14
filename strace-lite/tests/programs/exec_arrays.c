/* execve's argv and envp where strace 6.1's own tests have strace-lite differ (issue 21):
   arrays that run into unreadable memory, "... (the address)" and `unterminated`. The
   calls fail (no such file), so the program goes on. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 4096, 4096, PROT_NONE);
    char **tail = (char **)(page + 4096) - 3;
    tail[0] = "one";
    tail[1] = "two";
    tail[2] = (char *)-1L;  /* no NULL before the unreadable page */
    char *ok[] = {"a", "b", NULL};
    const char *path = "/nonexistent/exec_arrays";
    syscall(SYS_execve, path, tail, tail);
    syscall(SYS_execve, path, ok, tail + 2);
    syscall(SYS_execve, path, page + 4096, page + 4096);
    syscall(SYS_execve, path, NULL, NULL);
    syscall(SYS_execve, path, ok, ok);
    syscall(SYS_execveat, -100, path, tail, tail, 0);
    return 0;
}
