/* Sleeping and polling: poll() with no fds and a 50 ms timeout, nanosleep,
 * usleep, clock_nanosleep (relative and TIMER_ABSTIME) each take at least
 * the requested time (CLOCK_MONOTONIC) and less than 5 s; poll() on a regular
 * file and on stdout reports them ready; a zero timeout returns at once;
 * sched_yield. All become poll_oneoff (and sched_yield) in WASI. */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

#define MS 1000000LL

static void took(long long start, long long min_ms, const char *what) {
    long long el = now_ns() - start;
    char buf[128];
    snprintf(buf, sizeof buf, "%s: took >= %lld ms and < 5 s", what, min_ms);
    CHECK(el >= min_ms * MS && el < 5000 * MS, buf);
}

int main(void) {
    long long t0 = now_ns();
    CHECK(poll(NULL, 0, 50) == 0, "poll(no fds, 50 ms) returns 0");
    took(t0, 50, "poll 50 ms");

    t0 = now_ns();
    struct timespec req = {.tv_sec = 0, .tv_nsec = 50 * MS}, rem = {1, 1};
    CHECK(nanosleep(&req, &rem) == 0, "nanosleep 50 ms returns 0");
    took(t0, 50, "nanosleep 50 ms");

    t0 = now_ns();
    CHECK(usleep(30000) == 0, "usleep 30000 us returns 0");
    took(t0, 30, "usleep 30 ms");

    t0 = now_ns();
    req.tv_nsec = 20 * MS;
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "clock_nanosleep relative 20 ms");
    took(t0, 20, "clock_nanosleep relative 20 ms");

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    t0 = (long long)abs.tv_sec * 1000000000LL + abs.tv_nsec;
    abs.tv_nsec += 40 * MS;
    if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0, "clock_nanosleep TIMER_ABSTIME +40 ms");
    took(t0, 40, "clock_nanosleep absolute +40 ms");

    t0 = now_ns();
    CHECK(poll(NULL, 0, 0) == 0, "poll(no fds, 0 ms) returns 0");
    CHECK(now_ns() - t0 < 1000 * MS, "poll 0 ms returns at once (< 1 s)");
    CHECK(sched_yield() == 0, "sched_yield");

    /* fd readiness: a regular file is always readable and writable */
    int fd = open("poll.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "data", 4) == 4 && lseek(fd, 0, SEEK_SET) == 0, "create poll.txt");
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = fd, .events = POLLOUT}};
    t0 = now_ns();
    int n = poll(p, 2, 2000);
    CHECK(n == 2, "poll(file POLLIN, file POLLOUT) = 2");
    CHECK((p[0].revents & POLLIN) && (p[1].revents & POLLOUT), "revents POLLIN and POLLOUT");
    CHECK(now_ns() - t0 < 1000 * MS, "ready without waiting for the timeout");
    close(fd);
    unlink("poll.txt");

    struct pollfd o = {.fd = 1, .events = POLLOUT};
    fflush(stdout);
    CHECK(poll(&o, 1, 2000) == 1 && (o.revents & POLLOUT), "stdout is writable");
    return finish("poll");
}
