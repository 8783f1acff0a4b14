/* The other terminal structures on stdin (a pty in the tests): struct termios2 (TCGETS2,
 * TCSETS2, TCSETSW2, TCSETSF2, with speeds and a line discipline strace 6.1 has no name
 * for), the old struct termio (TCGETA, TCSETA, TCSETAW, TCSETAF), the locked termios
 * (TIOCGLCKTRMIOS, TIOCSLCKTRMIOS), XTABS in c_oflag, unreadable and NULL arguments. */
#include <asm/termbits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
    struct termios2 t2;
    struct termio to;
    struct termios t;
    ioctl(0, TCGETS2, &t2);
    t2.c_oflag |= XTABS;
    t2.c_cflag = (t2.c_cflag & ~CBAUD) | BOTHER;
    t2.c_ispeed = t2.c_ospeed = 12345;
    ioctl(0, TCSETS2, &t2);
    ioctl(0, TCSETSW2, &t2);
    t2.c_line = 28;
    ioctl(0, TCSETSF2, &t2);
    ioctl(0, TCGETS2, &t2);
    ioctl(0, TCGETA, &to);
    to.c_lflag &= ~(ICANON | ECHO);
    ioctl(0, TCSETA, &to);
    ioctl(0, TCSETAW, &to);
    ioctl(0, TCSETAF, &to);
    ioctl(0, TIOCGLCKTRMIOS, &t);
    ioctl(0, TIOCSLCKTRMIOS, &t);
    /* A struct cut by an unreadable page, and NULL. */
    char *page = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + 4096, 4096);
    ioctl(0, TCSETS2, page + 4096 - 40);
    ioctl(0, TCSETA, page + 4096 - 16);
    ioctl(0, TCGETS2, page + 4096 - 40);
    ioctl(0, TCGETA, NULL);
    return 0;
}
