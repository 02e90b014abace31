/* sock_accept on an inherited listening TCP socket: fd argv[1] (default 0:
 * stdin, as inetd "wait" services and systemd socket activation pass it; 4
 * with WAOT_TCPLISTEN after the "." preopen). The peer (tests/wasi.rs, or
 * native/sockpeer.c) connects about 100 ms after we start, sends "GET\n",
 * expects exactly "OK GET\n" and EOF, and connects only once. */
#define _GNU_SOURCE /* accept4 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int l = argc > 1 ? atoi(argv[1]) : 0;
    struct stat st;
    char buf[16];

    CHECK(fstat(l, &st) == 0 && S_ISSOCK(st.st_mode), "listener is a socket");
    EXPECT_ERR(recv(l, buf, 1, 0), ENOTCONN, "recv on the listener");
    struct pollfd p = {.fd = l, .events = POLLIN};
    CHECK(poll(&p, 1, -1) == 1 && (p.revents & POLLIN), "poll waits for a connection");

    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    int c = accept(l, (struct sockaddr *)&sa, &len);
    CHECK(c >= 0, "accept");
    CHECK(fstat(c, &st) == 0 && S_ISSOCK(st.st_mode), "connection is a socket");
    CHECK(recv(c, buf, 4, MSG_WAITALL) == 4 && memcmp(buf, "GET\n", 4) == 0, "recv GET");
    CHECK(send(c, "OK GET\n", 7, 0) == 7, "send OK GET");
    CHECK(shutdown(c, SHUT_WR) == 0, "shutdown SHUT_WR");
    CHECK(recv(c, buf, sizeof buf, 0) == 0, "recv: peer closed");
    CHECK(close(c) == 0, "close the connection");

    /* No second connection: a non-blocking listener says EAGAIN. */
    int fl = fcntl(l, F_GETFL);
    CHECK(fl >= 0 && fcntl(l, F_SETFL, fl | O_NONBLOCK) == 0, "listener O_NONBLOCK");
    EXPECT_ERR(accept(l, (struct sockaddr *)&sa, &len), EAGAIN, "accept with none pending");
    len = sizeof sa;
    EXPECT_ERR(accept4(l, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK), EAGAIN,
               "accept4 SOCK_NONBLOCK with none pending");
    EXPECT_ERR(accept(1, (struct sockaddr *)&sa, &len), ENOTSOCK, "accept on stdout");
    return finish("socklisten");
}
