/* sock_recv / sock_send / sock_shutdown on an inherited connected socket:
 * stdin is one end of a Unix stream socketpair whose other end is a peer in
 * the test runner (tests/wasi.rs, or native/sockpeer.c for the native
 * reference). The peer wrote "hello, socket\n" before starting us; it
 * answers "ping\n" with "po" and, 100 ms later, "ng\n"; after our
 * shutdown(SHUT_WR) it checks it got exactly "ping\nvia fd_write\nbye\n",
 * sends "peer done\n" and closes. Also errno checks on fds that are not
 * sockets. Works in "." (creates f). */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The runtime sends with MSG_NOSIGNAL; natively we must ask for it. */
#ifdef __wasi__
#define NOSIGNAL 0
#else
#define NOSIGNAL MSG_NOSIGNAL
#endif

static int got(const char *buf, ssize_t n, const char *want) {
    return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

int main(void) {
    struct stat st;
    char buf[64];
    ssize_t n;

    CHECK(fstat(0, &st) == 0 && S_ISSOCK(st.st_mode), "stdin is a socket");
    struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = 1, .events = POLLOUT}};
    CHECK(poll(p, 2, 5000) == 2 && (p[0].revents & POLLIN) && (p[1].revents & POLLOUT),
          "poll: socket readable, stdout writable");

    n = recv(0, buf, 5, MSG_PEEK);
    CHECK(got(buf, n, "hello"), "recv MSG_PEEK 5: hello");
    n = recv(0, buf, 5, 0);
    CHECK(got(buf, n, "hello"), "recv 5: hello again (peek consumed nothing)");
    n = recv(0, buf, 9, MSG_WAITALL);
    CHECK(got(buf, n, ", socket\n"), "recv MSG_WAITALL 9: rest of the greeting");

    CHECK(send(0, "ping\n", 5, 0) == 5, "send ping");
    n = recv(0, buf, 5, MSG_WAITALL);
    CHECK(got(buf, n, "pong\n"), "recv MSG_WAITALL 5: pong (sent in two parts)");
    CHECK(write(0, "via fd_write\n", 13) == 13, "write() on the socket");
    CHECK(send(0, "bye\n", 4, 0) == 4, "send bye");
    CHECK(shutdown(0, SHUT_WR) == 0, "shutdown SHUT_WR");
    EXPECT_ERR(send(0, "x", 1, NOSIGNAL), EPIPE, "send after SHUT_WR");

    n = recv(0, buf, 10, MSG_WAITALL);
    CHECK(got(buf, n, "peer done\n"), "recv: peer done");
    CHECK(read(0, buf, sizeof buf) == 0, "read() at EOF: 0");
    CHECK(recv(0, buf, sizeof buf, 0) == 0, "recv at EOF: 0");
    CHECK(shutdown(0, SHUT_RD) == 0, "shutdown SHUT_RD");
    CHECK(shutdown(0, SHUT_RDWR) == 0, "shutdown SHUT_RDWR");

    /* errors */
    EXPECT_ERR(shutdown(0, 42), EINVAL, "shutdown how=42");
    EXPECT_ERR(accept(0, NULL, NULL), EINVAL, "accept on a connected socket");
    EXPECT_ERR(recv(1, buf, 1, 0), ENOTSOCK, "recv on stdout (a pipe)");
    EXPECT_ERR(send(1, "x", 1, 0), ENOTSOCK, "send on stdout");
    EXPECT_ERR(shutdown(1, SHUT_WR), ENOTSOCK, "shutdown stdout");
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0, "create f");
    EXPECT_ERR(recv(fd, buf, 1, 0), ENOTSOCK, "recv on a regular file");
    EXPECT_ERR(send(fd, "x", 1, 0), ENOTSOCK, "send on a regular file");
    EXPECT_ERR(shutdown(fd, SHUT_RDWR), ENOTSOCK, "shutdown a regular file");
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    EXPECT_ERR(accept(fd, (struct sockaddr *)&sa, &len), ENOTSOCK, "accept on a regular file");
    close(fd);
    EXPECT_ERR(recv(99, buf, 1, 0), EBADF, "recv on a closed fd");
    EXPECT_ERR(shutdown(99, SHUT_RD), EBADF, "shutdown a closed fd");
    CHECK(close(0) == 0, "close the socket");
    EXPECT_ERR(send(0, "x", 1, NOSIGNAL), EBADF, "send after close");
    return finish("sockstream");
}
