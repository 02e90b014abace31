/* Native peer for the socket programs (rebuild.sh uses it to make their
 * native reference output; tests/wasi.rs plays the same peer in Rust):
 *
 *   sockpeer stream PROG ARGS...   PROG's stdin: one end of a Unix stream
 *                                  socketpair (protocol: c/sockstream.c)
 *   sockpeer listen PROG ARGS...   PROG's stdin: a TCP socket listening on
 *                                  127.0.0.1 (protocol: c/socklisten.c)
 *
 * PROG's stdout/stderr are ours. Exits with PROG's status (128 + signal if
 * killed), or 99 if the peer saw the wrong bytes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(98);
}

/* Reads until `stop` appears in what was read, or EOF when stop is NULL. */
static size_t read_until(int fd, char *buf, size_t cap, const char *stop) {
    size_t n = 0;
    for (;;) {
        buf[n] = 0;
        if (stop && strstr(buf, stop)) return n;
        if (n + 1 >= cap) return n;
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) die("peer read");
        if (r == 0) return n;
        n += (size_t)r;
    }
}

/* Runs argv with stdin_fd as its stdin; `peer_fd` (ours) is closed in the
 * child so that our close is the peer's EOF. */
static pid_t spawn(int stdin_fd, int peer_fd, char **argv) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        if (peer_fd >= 0) close(peer_fd);
        if (dup2(stdin_fd, 0) < 0) die("dup2");
        close(stdin_fd);
        execv(argv[0], argv);
        die("execv");
    }
    close(stdin_fd);
    return pid;
}

static int status_of(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) < 0) die("waitpid");
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static int stream(char **argv) {
    int sv[2];
    char buf[256];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) die("socketpair");
    if (write(sv[1], "hello, socket\n", 14) != 14) die("write");
    pid_t pid = spawn(sv[0], sv[1], argv);
    size_t n = read_until(sv[1], buf, sizeof buf, "ping\n");
    if (write(sv[1], "po", 2) != 2) die("write");
    usleep(100000);
    if (write(sv[1], "ng\n", 3) != 3) die("write");
    n += read_until(sv[1], buf + n, sizeof buf - n, NULL);
    int ok = strcmp(buf, "ping\nvia fd_write\nbye\n") == 0;
    if (write(sv[1], "peer done\n", 10) != 10) die("write");
    close(sv[1]);
    int status = status_of(pid);
    if (!ok) {
        fprintf(stderr, "sockpeer: got %zu bytes: %s\n", n, buf);
        return 99;
    }
    return status;
}

static int listen_mode(char **argv) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        die("listen");
    pid_t pid = spawn(l, -1, argv);
    usleep(100000);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a)) die("connect");
    if (write(c, "GET\n", 4) != 4) die("write");
    char buf[64];
    size_t n = read_until(c, buf, sizeof buf, NULL);
    close(c);
    int status = status_of(pid);
    if (strcmp(buf, "OK GET\n") != 0) {
        fprintf(stderr, "sockpeer: got %zu bytes: %s\n", n, buf);
        return 99;
    }
    return status;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sockpeer stream|listen PROG ARGS...\n");
        return 98;
    }
    if (strcmp(argv[1], "stream") == 0) return stream(argv + 2);
    if (strcmp(argv[1], "listen") == 0) return listen_mode(argv + 2);
    fprintf(stderr, "sockpeer: unknown mode %s\n", argv[1]);
    return 98;
}
