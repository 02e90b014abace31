/* preview1 calls with no POSIX equivalent, made directly (<wasi/api.h>), so
 * there is no native reference: the expectation is every check passing, as
 * the WASI spec and docs/LIMITS.md say.
 *  - fd_fdstat_set_rights: rights can only be dropped (ENOTCAPABLE when
 *    adding one back), and dropped rights are enforced by later calls;
 *  - proc_raise: 0 ("no signal") succeeds, an unknown signal is EINVAL;
 *  - poll_oneoff: clocks with and without ABSTIME on all four clock ids
 *    (CPU-time clocks fire once their deadline is reached), an unknown
 *    clock id, fd_read/fd_write subscriptions (nbytes, errors), bad input.
 * Works in "." (creates r.txt, sub/). Stdin must be /dev/null. */
#include "common.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t wasi_proc_raise(uint8_t sig);

/* WASI call result: prints "ok what: ERRNO" when it is `want`. */
#define EXPECT_WASI(call, want, what)                                          \
    do {                                                                       \
        __wasi_errno_t e_ = (call);                                            \
        errno = e_;                                                            \
        CHECK(e_ == (want), what);                                             \
    } while (0)

static __wasi_rights_t base_of(int fd) {
    __wasi_fdstat_t st;
    return __wasi_fd_fdstat_get(fd, &st) ? 0 : st.fs_rights_base;
}

static __wasi_rights_t inheriting_of(int fd) {
    __wasi_fdstat_t st;
    return __wasi_fd_fdstat_get(fd, &st) ? 0 : st.fs_rights_inheriting;
}

static __wasi_timestamp_t now(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(id, 1, &t)) return 0;
    return t;
}

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id,
                                       __wasi_timestamp_t timeout, int abstime) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.flags = abstime ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    return s;
}

static __wasi_subscription_t fd_sub(uint64_t userdata, __wasi_eventtype_t type, int fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

static __wasi_event_t ev[8];
static __wasi_size_t nev;

/* poll_oneoff on `n` subscriptions; returns its errno. */
static __wasi_errno_t poll_n(const __wasi_subscription_t *s, __wasi_size_t n) {
    nev = 0;
    memset(ev, 0, sizeof ev);
    return __wasi_poll_oneoff(s, ev, n, &nev);
}

/* The only event has `userdata` and error `err`. */
static int only(uint64_t userdata, __wasi_errno_t err) {
    return nev == 1 && ev[0].userdata == userdata && ev[0].error == err;
}

static void rights(void) {
    int fd = open("r.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10, "create r.txt");
    __wasi_rights_t base = base_of(fd), inh = inheriting_of(fd);
    CHECK(base & __WASI_RIGHTS_FD_WRITE, "r.txt has FD_WRITE");
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base, inh), 0, "set the same rights: ok");
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base & ~__WASI_RIGHTS_FD_WRITE, inh), 0,
                "drop FD_WRITE");
    CHECK(base_of(fd) == (base & ~__WASI_RIGHTS_FD_WRITE), "fdstat shows FD_WRITE dropped");
    EXPECT_ERR(write(fd, "x", 1), EBADF, "write without FD_WRITE");
    EXPECT_ERR(pwrite(fd, "x", 1, 0), EBADF, "pwrite without FD_WRITE");
    char buf[4];
    CHECK(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "0123", 4) == 0, "pread still works");
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base, inh), __WASI_ERRNO_NOTCAPABLE,
                "add FD_WRITE back: ENOTCAPABLE");
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base_of(fd) | __WASI_RIGHTS_SOCK_ACCEPT, inh),
                __WASI_ERRNO_NOTCAPABLE, "add a right it never had: ENOTCAPABLE");
    CHECK(base_of(fd) == (base & ~__WASI_RIGHTS_FD_WRITE), "rights unchanged by the failures");

    base = base_of(fd) & ~(__WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL);
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base, inh), 0, "drop FD_SEEK and FD_TELL");
    /* (wasi-libc's lseek turns ENOTCAPABLE into ESPIPE.) */
    __wasi_filesize_t pos;
    EXPECT_WASI(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_NOTCAPABLE,
                "fd_seek without FD_SEEK: ENOTCAPABLE");
    EXPECT_WASI(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_NOTCAPABLE,
                "fd_seek(0, CUR) without FD_SEEK and FD_TELL: ENOTCAPABLE");
    EXPECT_WASI(__wasi_fd_tell(fd, &pos), __WASI_ERRNO_NOTCAPABLE,
                "fd_tell without FD_TELL: ENOTCAPABLE");
    EXPECT_ERR(lseek(fd, 0, SEEK_SET), ESPIPE, "lseek without FD_SEEK (libc: ESPIPE)");
    base &= ~__WASI_RIGHTS_FD_FILESTAT_GET;
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base, inh), 0, "drop FD_FILESTAT_GET");
    struct stat st;
    EXPECT_ERR(fstat(fd, &st), ENOTCAPABLE, "fstat without FD_FILESTAT_GET");
    base &= ~__WASI_RIGHTS_POLL_FD_READWRITE;
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base, inh), 0, "drop POLL_FD_READWRITE");
    __wasi_subscription_t s = fd_sub(1, __WASI_EVENTTYPE_FD_READ, fd);
    CHECK(poll_n(&s, 1) == 0 && only(1, __WASI_ERRNO_NOTCAPABLE),
          "poll fd_read without POLL_FD_READWRITE: event ENOTCAPABLE");
    base &= ~__WASI_RIGHTS_FD_READ;
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, base, inh), 0, "drop FD_READ");
    EXPECT_ERR(read(fd, buf, 1), EBADF, "read without FD_READ");
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, 0, 0), 0, "drop everything");
    CHECK(base_of(fd) == 0 && inheriting_of(fd) == 0, "fdstat: no rights");
    CHECK(close(fd) == 0, "close still works");
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(fd, 0, 0), __WASI_ERRNO_BADF, "closed fd: EBADF");

    /* A directory: dropped base rights stop path calls, dropped inheriting
     * rights cap what path_open may give. */
    CHECK(mkdir("sub", 0755) == 0, "mkdir sub");
    int d = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0, "open sub");
    base = base_of(d);
    inh = inheriting_of(d);
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(d, base & ~__WASI_RIGHTS_PATH_CREATE_FILE,
                                            inh & ~__WASI_RIGHTS_FD_WRITE),
                0, "sub: drop PATH_CREATE_FILE and inheriting FD_WRITE");
    __wasi_fd_t f;
    EXPECT_WASI(__wasi_path_open(d, 0, "new", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, 0, &f),
                __WASI_ERRNO_NOTCAPABLE, "create in sub: ENOTCAPABLE");
    EXPECT_WASI(__wasi_path_create_directory(d, "dir"), 0, "mkdir in sub still allowed");
    EXPECT_WASI(__wasi_path_open(d, 0, "dir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE, 0, 0,
                                 &f),
                __WASI_ERRNO_NOTCAPABLE, "open asking FD_WRITE: ENOTCAPABLE");
    EXPECT_WASI(__wasi_path_open(d, 0, "dir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR,
                                 __WASI_RIGHTS_FD_READ, 0, &f),
                0, "open asking FD_READDIR: ok");
    CHECK(inheriting_of(f) == __WASI_RIGHTS_FD_READ, "new fd inherits what it asked");
    close(f);
    EXPECT_WASI(__wasi_fd_fdstat_set_rights(d, base & ~__WASI_RIGHTS_PATH_CREATE_FILE, inh),
                __WASI_ERRNO_NOTCAPABLE, "sub: inheriting FD_WRITE back: ENOTCAPABLE");
    close(d);

    /* Asking to write a directory is refused, as open(O_RDWR) refuses it
     * (fd 3 is the preopened ".", which keeps all its rights). */
    EXPECT_WASI(__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                                 __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &f),
                __WASI_ERRNO_ISDIR, "open a directory to write it: EISDIR");
}

static void raise_checks(void) {
    CHECK(wasi_proc_raise(0) == 0, "proc_raise(0): no signal, success");
    CHECK(wasi_proc_raise(99) == __WASI_ERRNO_INVAL, "proc_raise(99): EINVAL");
}

static void poll_checks(void) {
    __wasi_subscription_t s[4];
    __wasi_clockid_t cpu[2] = {__WASI_CLOCKID_PROCESS_CPUTIME_ID,
                               __WASI_CLOCKID_THREAD_CPUTIME_ID};
    const char *cpu_name[2] = {"process", "thread"};
    char what[96];
    for (int i = 0; i < 2; i++) {
        s[0] = clock_sub(7, cpu[i], 0, 0);
        snprintf(what, sizeof what, "%s cputime relative 0: fires", cpu_name[i]);
        CHECK(poll_n(s, 1) == 0 && only(7, 0) && ev[0].type == __WASI_EVENTTYPE_CLOCK, what);
        s[0] = clock_sub(8, cpu[i], now(cpu[i]), 1);
        snprintf(what, sizeof what, "%s cputime ABSTIME now: fires", cpu_name[i]);
        CHECK(poll_n(s, 1) == 0 && only(8, 0), what);
        /* The program waits, so its CPU time (almost) stands still: a CPU
         * deadline 10 s ahead loses to a 30 ms monotonic one. */
        __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
        s[0] = clock_sub(9, cpu[i], 10000000000ull, 0);
        s[1] = clock_sub(10, __WASI_CLOCKID_MONOTONIC, 30000000, 0);
        snprintf(what, sizeof what, "%s cputime +10 s vs monotonic +30 ms: monotonic first",
                 cpu_name[i]);
        CHECK(poll_n(s, 2) == 0 && only(10, 0) &&
                  now(__WASI_CLOCKID_MONOTONIC) - t0 >= 30000000,
              what);
    }
    /* Burning CPU: a deadline of 20 ms of CPU time ahead, then spin until the
     * clock is past it; the subscription then fires at once. */
    __wasi_timestamp_t deadline = now(__WASI_CLOCKID_PROCESS_CPUTIME_ID) + 20000000;
    volatile uint64_t spin = 0;
    while (now(__WASI_CLOCKID_PROCESS_CPUTIME_ID) < deadline) spin++;
    s[0] = clock_sub(11, __WASI_CLOCKID_PROCESS_CPUTIME_ID, deadline, 1);
    s[1] = clock_sub(12, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    CHECK(poll_n(s, 2) == 0 && only(11, 0), "process cputime ABSTIME after spinning: fires");

    __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    s[0] = clock_sub(13, __WASI_CLOCKID_MONOTONIC, t0 + 30000000, 1);
    CHECK(poll_n(s, 1) == 0 && only(13, 0) && now(__WASI_CLOCKID_MONOTONIC) - t0 >= 30000000,
          "monotonic ABSTIME +30 ms: waits");
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    s[0] = clock_sub(14, __WASI_CLOCKID_REALTIME, now(__WASI_CLOCKID_REALTIME) + 30000000, 1);
    CHECK(poll_n(s, 1) == 0 && only(14, 0) && now(__WASI_CLOCKID_MONOTONIC) - t0 >= 25000000,
          "realtime ABSTIME +30 ms: waits");
    s[0] = clock_sub(15, __WASI_CLOCKID_REALTIME, 1000000000ull, 1);
    CHECK(poll_n(s, 1) == 0 && only(15, 0), "realtime ABSTIME in 2001: fires at once");
    s[0] = clock_sub(16, 9, 0, 0);
    CHECK(poll_n(s, 1) == 0 && only(16, __WASI_ERRNO_INVAL), "clock id 9: event EINVAL");

    int fd = open("r2.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10 && lseek(fd, 3, SEEK_SET) == 3,
          "r2.txt: 10 bytes, position 3");
    s[0] = fd_sub(20, __WASI_EVENTTYPE_FD_READ, fd);
    s[1] = fd_sub(21, __WASI_EVENTTYPE_FD_WRITE, fd);
    CHECK(poll_n(s, 2) == 0 && nev == 2, "file: fd_read and fd_write ready");
    CHECK(ev[0].userdata == 20 && ev[0].type == __WASI_EVENTTYPE_FD_READ &&
              ev[0].fd_readwrite.nbytes == 7 && ev[0].error == 0,
          "file fd_read: nbytes 7 (size - position)");
    CHECK(ev[1].userdata == 21 && ev[1].type == __WASI_EVENTTYPE_FD_WRITE && ev[1].error == 0,
          "file fd_write event");
    close(fd);
    s[0] = fd_sub(22, __WASI_EVENTTYPE_FD_READ, fd);
    CHECK(poll_n(s, 1) == 0 && only(22, __WASI_ERRNO_BADF), "closed fd: event EBADF");
    s[0] = fd_sub(23, __WASI_EVENTTYPE_FD_WRITE, 1);
    s[1] = clock_sub(24, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    CHECK(poll_n(s, 2) == 0 && only(23, 0), "stdout fd_write ready before a 5 s clock");
    s[0] = fd_sub(25, __WASI_EVENTTYPE_FD_READ, 0);
    CHECK(poll_n(s, 2) == 0 && only(25, 0), "stdin (/dev/null) fd_read ready before a 5 s clock");
    CHECK(poll_n(s, 0) == __WASI_ERRNO_INVAL, "no subscriptions: EINVAL");
    s[0].u.tag = 3;
    CHECK(poll_n(s, 1) == __WASI_ERRNO_INVAL, "unknown event type: EINVAL");
}

int main(void) {
    rights();
    raise_checks();
    poll_checks();
    return finish("preview1");
}
