/* connect(-1, ...) with a sockaddr of each family strace 6.1 decodes, at the lengths that
 * change how it prints them (too short for the family: sa_data; longer: the rest), with
 * known and unknown constants. The call fails with EBADF; only the decoding matters. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char buf[160];

static void conn(int len) { connect(-1, (void *)buf, len); }

static void family(uint16_t f, const void *rest, size_t n) {
    memset(buf, 0, sizeof buf);
    memcpy(buf, &f, 2);
    memcpy(buf + 2, rest, n);
}

static void u16(int o, uint16_t v) { memcpy(buf + o, &v, 2); }
static void u32(int o, uint32_t v) { memcpy(buf + o, &v, 4); }
static void u64(int o, uint64_t v) { memcpy(buf + o, &v, 8); }

int main(void) {
    /* AF_UNIX: a path, an abstract name, a path that fills sun_path, a short one. */
    family(AF_UNIX, "/tmp/sock", 10);
    conn(12);
    family(AF_UNIX, "\0abstract\0x", 11);
    conn(13);
    memset(buf + 2, 'p', 120);
    conn(110);
    conn(128);
    conn(3);
    /* AF_INET: whole, short (sa_data), longer. */
    family(AF_INET, "\x30\x39\x0c\x22\x38\x4e", 6);
    conn(16);
    conn(12);
    conn(20);
    /* AF_INET6: without and with a scope id, link-local (interface 1 is lo) and not. */
    family(AF_INET6, "\x30\x39\x49\x96\x02\xd2\xfe\x80", 8);
    u32(24, 1);
    conn(24);
    conn(28);
    buf[8] = 0xff;
    buf[9] = 0x02;
    conn(28);
    buf[8] = 0x20;
    conn(28);
    u32(24, 0xfacefeed);
    buf[8] = 0xfe;
    buf[9] = 0x80;
    conn(28);
    conn(20);
    /* AF_IPX. */
    family(4, "\x30\x39\xfa\xce\xfe\xed" "ABCDEF\xff", 13);
    conn(16);
    buf[15] = 0x42;
    conn(16);
    /* AF_AX25: a clean call sign, then digipeaters, some not clean. */
    family(3, "\xac\x82\x98\x92\x88\x40\x1a", 7);
    conn(16);
    u32(12, 3);
    memcpy(buf + 16, "\xac\x82\x98\x92\x88\x64\x0e" "\xa6\xa0\x82\x40\x86\x8a\x00" "\x40\x40\x40\x40\x40\x40\x00", 21);
    conn(37);
    conn(30);
    u32(12, 9);
    conn(40);
    /* AF_X25. */
    family(9, "0123456789abcdef", 16);
    conn(18);
    buf[12] = 0;
    conn(18);
    conn(17);
    /* AF_NETLINK: with a pad, a pid, groups. */
    family(AF_NETLINK, "", 0);
    u16(2, 0xffff);
    u32(4, 1234);
    u32(8, 0xfacefeed);
    conn(12);
    u16(2, 0);
    u32(8, 1);
    conn(12);
    conn(11);
    /* AF_PACKET: lo, an unknown interface and protocol, a long hardware address. */
    family(AF_PACKET, "\x00\x03", 2);
    u32(4, 1);
    u16(8, 1);
    buf[10] = 0;
    buf[11] = 6;
    memcpy(buf + 12, "abcdefgh", 8);
    conn(20);
    u32(4, 0xfacefeed);
    buf[2] = 0x12;
    buf[11] = 10;
    conn(20);
    conn(21);
    /* AF_RXRPC with IPv4, IPv6 and another transport. */
    family(33, "", 0);
    u16(2, 1);
    u16(4, SOCK_DGRAM);
    u16(6, 16);
    u16(8, AF_INET);
    memcpy(buf + 10, "\x30\x39\x7f\x00\x00\x01", 6);
    conn(36);
    u16(6, 6);
    conn(36);
    u16(6, 28);
    u16(8, AF_INET6);
    conn(36);
    u16(8, 99);
    conn(36);
    /* AF_IEEE802154: no address, short, long. */
    family(36, "", 0);
    u32(4, 0);
    u16(8, 0xffff);
    conn(20);
    u32(4, 2);
    u16(10, 0xfffe);
    conn(20);
    u32(4, 3);
    memcpy(buf + 10, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    conn(20);
    /* AF_ALG. */
    family(38, "hash", 5);
    u32(16, 0x1000);
    u32(20, 0x2001);
    memcpy(buf + 24, "sha256", 7);
    conn(31);
    conn(28);
    /* AF_NFC: the short and the LLCP form. */
    family(39, "", 0);
    u32(4, 1);
    u32(8, 0x42);
    u32(12, 2);
    conn(16);
    conn(20);
    buf[16] = 1;
    buf[17] = 0x20;
    memcpy(buf + 18, "urn:nfc:sn:snep", 15);
    u64(88, 15);
    conn(96);
    /* AF_VSOCK. */
    family(40, "", 0);
    u32(4, 0xffffffff);
    u32(8, 2);
    buf[12] = 1;
    conn(16);
    u16(2, 7);
    buf[13] = 9;
    buf[12] = 6;
    conn(16);
    /* AF_QIPCRTR. */
    family(42, "", 0);
    u32(4, 0xffffffff);
    u32(8, 0xfffffffe);
    conn(12);
    u32(4, 5);
    conn(12);
    /* AF_XDP: a shared umem's descriptor (stdin), and flags without it. */
    family(44, "", 0);
    u16(2, 1);
    u32(4, 1);
    u32(8, 3);
    u32(12, 0);
    conn(16);
    u16(2, 0x12);
    u32(12, 7);
    conn(16);
    /* AF_MCTP. */
    family(45, "", 0);
    u32(4, 0);
    buf[8] = 0xff;
    buf[9] = 1;
    buf[10] = 8;
    conn(12);
    u16(2, 0xdead);
    buf[11] = 3;
    conn(12);
    /* AF_BLUETOOTH: each form by its length, and one no form has. */
    family(31, "\x01\x00\x03\x00\x11\x22\x33\x44\x55\x66\x41\x00\x01\x00", 14);
    conn(4);
    conn(6);
    conn(8);
    conn(10);
    conn(12);
    conn(14);
    conn(7);
    family(31, "\x85\x00\x11\x22\x33\x44\x55\x66\x45\x00\x07", 11);
    conn(14);
    family(31, "\x05\x00\x11\x22\x33\x44\x55\x66\x02\x00\x00", 11);
    conn(14);
    family(31, "\x02\x10\x11\x22\x33\x44\x55\x66\x01\x00\x01", 11);
    conn(14);
    /* An unknown family, and AF_UNSPEC. */
    family(0xff, "0000", 4);
    conn(6);
    family(0, "0", 1);
    conn(3);
    return 0;
}
