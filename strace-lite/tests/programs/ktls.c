/* Kernel TLS's socket options, as OpenSSL sets them (ssl/ktls.c): on a connected TCP socket,
 * the "tls" upper-layer protocol (TCP_ULP), then the keys of each direction (SOL_TLS TLS_TX
 * and TLS_RX, a struct tls12_crypto_info_*). strace 6.1 names the levels and options and
 * prints the value as bytes (as an int when it is 4 bytes long, as OpenSSL's "tls" with its
 * NUL is). On a kernel without the tls module TCP_ULP fails (ENOENT) and the SOL_TLS calls
 * too (ENOPROTOOPT): the failed calls are printed all the same. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

int main(void) {
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(srv, (struct sockaddr *)&a, sizeof a);
    listen(srv, 1);
    socklen_t len = sizeof a;
    getsockname(srv, (struct sockaddr *)&a, &len);
    int cli = socket(AF_INET, SOCK_STREAM, 0);
    connect(cli, (struct sockaddr *)&a, sizeof a);
    int conn = accept(srv, NULL, NULL);

    /* The ULP by its 3 letters, and as OpenSSL passes it: sizeof("tls"), 4 bytes. */
    setsockopt(conn, SOL_TCP, TCP_ULP, "tls", 3);
    setsockopt(conn, SOL_TCP, TCP_ULP, "tls", sizeof("tls"));

    /* TLS 1.3, AES-256-GCM: 56 bytes, more than the default string limit. */
    struct tls12_crypto_info_aes_gcm_256 tx;
    memset(&tx, 0, sizeof tx);
    tx.info.version = TLS_1_3_VERSION;
    tx.info.cipher_type = TLS_CIPHER_AES_GCM_256;
    memset(tx.iv, 0x11, sizeof tx.iv);
    memset(tx.key, 0x22, sizeof tx.key);
    memcpy(tx.salt, "salt", sizeof tx.salt);
    memset(tx.rec_seq, 0, sizeof tx.rec_seq);
    setsockopt(conn, SOL_TLS, TLS_TX, &tx, sizeof tx);

    /* TLS 1.2, AES-128-GCM: 40 bytes, receiving. */
    struct tls12_crypto_info_aes_gcm_128 rx;
    memset(&rx, 0, sizeof rx);
    rx.info.version = TLS_1_2_VERSION;
    rx.info.cipher_type = TLS_CIPHER_AES_GCM_128;
    memcpy(rx.key, "0123456789abcdef", sizeof rx.key);
    setsockopt(conn, SOL_TLS, TLS_RX, &rx, sizeof rx);

    /* The crypto info's first 4 bytes alone: an int to strace. */
    setsockopt(conn, SOL_TLS, TLS_TX, &tx, 4);

    close(conn);
    close(cli);
    close(srv);
    return 0;
}
