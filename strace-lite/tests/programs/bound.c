/* -yy on TCP sockets that are bound but neither listening nor connected (IPv4 and IPv6):
   no /proc/net table has them; strace finds their address through sock_diag. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    close(s);
    int s6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 b = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bind(s6, (struct sockaddr *)&b, sizeof b);
    listen(s6, 1);
    close(s6);
    close(u);
    return 0;
}
