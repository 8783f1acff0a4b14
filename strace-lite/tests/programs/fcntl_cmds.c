/* fcntl's commands as strace 6.1 prints them, from its own fcntl test that strace-lite
   failed (issue 21): no l_pid in a lock the kernel only reads, owners, leases, notify
   flags, seals and signals by name, and the results explained. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    int fd = memfd_create("fcntl_cmds", MFD_ALLOW_SEALING);
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10,
                       .l_pid = 1234};
    fcntl(fd, F_SETLK, &fl);
    fcntl(fd, F_GETLK, &fl);
    fl.l_type = F_UNLCK;
    fcntl(fd, F_SETLKW, &fl);
    fcntl(fd, F_OFD_GETLK, &fl);
    struct f_owner_ex owner = {.type = F_OWNER_PID, .pid = 1};
    fcntl(fd, F_SETOWN_EX, &owner);
    fcntl(fd, F_GETOWN_EX, &owner);
    owner.type = 7;
    fcntl(fd, F_SETOWN_EX, &owner);
    fcntl(fd, F_GETOWN_EX, NULL);
    fcntl(fd, F_SETOWN, 1);
    fcntl(fd, F_GETOWN);
    fcntl(fd, F_SETSIG, SIGUSR1);
    fcntl(fd, F_GETSIG);
    fcntl(fd, F_SETSIG, 0);
    fcntl(fd, F_SETSIG, 100);
    fcntl(fd, F_GETLEASE);
    fcntl(-1, F_SETLEASE, F_WRLCK);
    fcntl(-1, F_SETLEASE, 0x10);
    fcntl(fd, F_NOTIFY, DN_ACCESS | DN_MULTISHOT);
    fcntl(fd, F_NOTIFY, 0x40);
    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK);
    fcntl(fd, F_GET_SEALS);
    fcntl(fd, F_ADD_SEALS, 0x100);
    fcntl(fd, F_SETPIPE_SZ, 4096);
    fcntl(fd, F_GETPIPE_SZ);
    syscall(SYS_fcntl, fd, 0xdead, 0xbeef);
    close(fd);
    return 0;
}
