/* Clocks: CLOCK_MONOTONIC never goes back and does advance; CLOCK_REALTIME is
 * plausible (2020..2100) and agrees with time() and gettimeofday();
 * clock_getres of both is in (0, 1 s]; gmtime/strftime of a fixed time.
 * Prints only the results of checks. */
#include "common.h"

#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec a, b, r;

    /* monotonic: non-decreasing over many calls */
    int ok = clock_gettime(CLOCK_MONOTONIC, &a) == 0, back = 0;
    long long prev = ns(a), first = prev;
    for (int i = 0; i < 100000 && ok; i++) {
        ok = clock_gettime(CLOCK_MONOTONIC, &b) == 0;
        if (ns(b) < prev) back++;
        prev = ns(b);
    }
    CHECK(ok, "clock_gettime(CLOCK_MONOTONIC) succeeds");
    CHECK(back == 0, "monotonic never goes back over 100000 reads");
    CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L, "tv_nsec in range");
    /* spin until it has advanced by 2 ms (bounded) */
    long long spins = 0;
    while (ns(b) - first < 2000000LL && spins < 2000000000LL) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        spins++;
    }
    CHECK(ns(b) - first >= 2000000LL, "monotonic advances (2 ms)");

    /* realtime */
    CHECK(clock_gettime(CLOCK_REALTIME, &r) == 0, "clock_gettime(CLOCK_REALTIME) succeeds");
    CHECK(r.tv_sec > 1577836800LL, "realtime after 2020-01-01");
    CHECK(r.tv_sec < 4102444800LL, "realtime before 2100-01-01");
    time_t t = time(NULL);
    CHECK(t != (time_t)-1 && (long long)t - (long long)r.tv_sec >= 0 && (long long)t - (long long)r.tv_sec <= 2,
          "time() agrees with realtime");
    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000 &&
              (long long)tv.tv_sec - (long long)r.tv_sec >= 0 && (long long)tv.tv_sec - (long long)r.tv_sec <= 2,
          "gettimeofday agrees with realtime");

    /* realtime and monotonic advance at the same rate (within 50 ms over 20 ms) */
    struct timespec m0, m1, r0, r1;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    clock_gettime(CLOCK_REALTIME, &r0);
    do clock_gettime(CLOCK_MONOTONIC, &m1); while (ns(m1) - ns(m0) < 20000000LL);
    clock_gettime(CLOCK_REALTIME, &r1);
    long long dm = ns(m1) - ns(m0), dr = ns(r1) - ns(r0);
    CHECK(dr > dm - 50000000LL && dr < dm + 50000000LL, "realtime and monotonic advance together");

    /* resolution */
    CHECK(clock_getres(CLOCK_MONOTONIC, &r) == 0, "clock_getres(CLOCK_MONOTONIC)");
    CHECK(ns(r) > 0 && ns(r) <= 1000000000LL, "monotonic resolution in (0, 1 s]");
    CHECK(clock_getres(CLOCK_REALTIME, &r) == 0, "clock_getres(CLOCK_REALTIME)");
    CHECK(ns(r) > 0 && ns(r) <= 1000000000LL, "realtime resolution in (0, 1 s]");

    /* calendar conversion of a fixed instant (no clock involved) */
    time_t fixed = 1600000000;
    struct tm tm;
    char buf[64];
    CHECK(gmtime_r(&fixed, &tm) != NULL, "gmtime_r");
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a %j", &tm);
    printf("gmtime(1600000000) = %s\n", buf);
    CHECK(timegm(&tm) == fixed, "timegm inverts gmtime");
    return finish("clocks");
}
