/* Terminal ioctls on stdin (a pty in the tests): TCGETS, TIOCGWINSZ, TCSETS/TCSETSW, FIONREAD, TIOCGPGRP. */
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
int main(void){ struct termios t; struct winsize w; int n, pg;
 ioctl(0, TCGETS, &t); ioctl(0, TIOCGWINSZ, &w); ioctl(0, TCSETSW, &t); ioctl(0, FIONREAD, &n); ioctl(0, TIOCGPGRP, &pg);
 t.c_lflag &= ~(ICANON|ECHO); ioctl(0, TCSETS, &t); return 0; }
