/* stat/fstat/fstatat/access: sizes, file types, link counts, and timestamps:
 * utimensat/futimens set atime/mtime to exact nanosecond values that must
 * read back exactly; UTIME_OMIT leaves a time alone; UTIME_NOW and writes
 * give a current time. Works in ".".
 *
 * Under WASI, futimens with UTIME_OMIT/UTIME_NOW and utimensat(..., NULL, 0)
 * call fd_filestat_set_times/path_filestat_set_times directly (set_fd_times,
 * set_path_times_now): wasi-libc 0.0~git20220510 fails the former with
 * EINVAL without calling WASI and turns the latter into fst_flags ATIM|MTIM
 * with both times 0 instead of ATIM_NOW|MTIM_NOW. Natively they are plain
 * futimens/utimensat; the output is the same either way. */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static int touch(const char *path, const char *content) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, content, strlen(content));
    close(fd);
    return n == (ssize_t)strlen(content) ? 0 : -1;
}

static int ts_eq(struct timespec a, long long sec, long nsec) {
    return (long long)a.tv_sec == sec && a.tv_nsec == nsec;
}

static long long now_sec(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec;
}

/* |t - now| <= 5 s */
static int recent(struct timespec t, long long now) {
    long long d = (long long)t.tv_sec - now;
    return d >= -5 && d <= 5;
}

#ifdef __wasi__
/* One struct timespec of futimens/utimensat as a WASI timestamp plus its
 * fst_flags bits (set, now: __WASI_FSTFLAGS_{A,M}TIM[_NOW]). */
static int wasi_time(struct timespec t, __wasi_timestamp_t *out, __wasi_fstflags_t *flags,
                     __wasi_fstflags_t set, __wasi_fstflags_t now) {
    *out = 0;
    if (t.tv_nsec == UTIME_OMIT) return 0;
    if (t.tv_nsec == UTIME_NOW) {
        *flags |= now;
        return 0;
    }
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= 1000000000) return -1;
    *out = (__wasi_timestamp_t)t.tv_sec * 1000000000u + (__wasi_timestamp_t)t.tv_nsec;
    *flags |= set;
    return 0;
}

static int wasi_result(__wasi_errno_t e) {
    if (e == 0) return 0;
    errno = e;
    return -1;
}
#endif

/* futimens(fd, ts), honouring UTIME_OMIT/UTIME_NOW (fd_filestat_set_times). */
static int set_fd_times(int fd, const struct timespec ts[2]) {
#ifdef __wasi__
    __wasi_timestamp_t atim, mtim;
    __wasi_fstflags_t flags = 0;
    if (wasi_time(ts[0], &atim, &flags, __WASI_FSTFLAGS_ATIM, __WASI_FSTFLAGS_ATIM_NOW) != 0 ||
        wasi_time(ts[1], &mtim, &flags, __WASI_FSTFLAGS_MTIM, __WASI_FSTFLAGS_MTIM_NOW) != 0) {
        errno = EINVAL;
        return -1;
    }
    return wasi_result(__wasi_fd_filestat_set_times(fd, atim, mtim, flags));
#else
    return futimens(fd, ts);
#endif
}

/* utimensat(AT_FDCWD, path, NULL, 0): both times now, following symlinks
 * (path_filestat_set_times relative to a directory fd for "."). */
static int set_path_times_now(const char *path) {
#ifdef __wasi__
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return -1;
    int r = wasi_result(__wasi_path_filestat_set_times(
        dfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, 0,
        __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    int e = errno;
    close(dfd);
    errno = e;
    return r;
#else
    return utimensat(AT_FDCWD, path, NULL, 0);
#endif
}

int main(void) {
    struct stat st, st2;

    /* sizes and types */
    CHECK(touch("f.txt", "0123456789abcdef") == 0, "create f.txt (16 bytes)");
    CHECK(touch("empty.txt", "") == 0, "create empty.txt");
    CHECK(mkdir("d", 0755) == 0, "mkdir d");
    CHECK(stat("f.txt", &st) == 0, "stat f.txt");
    CHECK(S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode), "f.txt is a regular file");
    CHECK(st.st_size == 16, "f.txt size 16");
    CHECK(st.st_nlink == 1, "f.txt nlink 1");
    CHECK(stat("empty.txt", &st) == 0 && st.st_size == 0 && S_ISREG(st.st_mode), "empty.txt: regular, size 0");
    CHECK(stat("d", &st) == 0 && S_ISDIR(st.st_mode), "d is a directory");
    CHECK(stat(".", &st) == 0 && S_ISDIR(st.st_mode), ". is a directory");
    CHECK(fstatat(AT_FDCWD, "f.txt", &st, 0) == 0 && st.st_size == 16, "fstatat f.txt size 16");
    EXPECT_ERR(stat("missing", &st), ENOENT, "stat missing");
    EXPECT_ERR(stat("f.txt/x", &st), ENOTDIR, "stat through a file");
    CHECK(access("f.txt", F_OK) == 0, "access f.txt F_OK");
    EXPECT_ERR(access("missing", F_OK), ENOENT, "access missing");

    int fd = open("f.txt", O_RDWR);
    CHECK(fd >= 0, "open f.txt");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 16 && S_ISREG(st.st_mode), "fstat: regular, 16");
    CHECK(stat("f.txt", &st2) == 0 && st.st_ino == st2.st_ino && st.st_dev == st2.st_dev,
          "fstat and stat agree on dev/ino");
    CHECK(pwrite(fd, "XYZ", 3, 30) == 3, "pwrite at 30");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 33, "size grows to 33");
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate to 5");
    close(fd);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open d O_DIRECTORY");
    CHECK(fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode), "fstat d: directory");
    close(dfd);
    EXPECT_ERR(open("f.txt", O_RDONLY | O_DIRECTORY), ENOTDIR, "open file with O_DIRECTORY");

    /* hard links */
    CHECK(link("f.txt", "hard.txt") == 0, "link f.txt hard.txt");
    CHECK(stat("f.txt", &st) == 0 && st.st_nlink == 2, "f.txt nlink 2");
    CHECK(stat("hard.txt", &st2) == 0 && st2.st_ino == st.st_ino && st2.st_size == 5,
          "hard.txt: same inode, size 5");
    EXPECT_ERR(link("f.txt", "hard.txt"), EEXIST, "link to existing name");
    EXPECT_ERR(link("missing", "x.txt"), ENOENT, "link missing source");
    CHECK(unlink("f.txt") == 0, "unlink f.txt");
    CHECK(stat("hard.txt", &st) == 0 && st.st_nlink == 1 && st.st_size == 5, "hard.txt survives, nlink 1");

    /* exact timestamps via utimensat (path_filestat_set_times) */
    struct timespec ts[2] = {
        {.tv_sec = 1234567890, .tv_nsec = 500000000}, /* atime */
        {.tv_sec = 1600000000, .tv_nsec = 123456789}, /* mtime */
    };
    CHECK(utimensat(AT_FDCWD, "hard.txt", ts, 0) == 0, "utimensat atime+mtime");
    CHECK(stat("hard.txt", &st) == 0, "stat hard.txt");
    CHECK(ts_eq(st.st_mtim, 1600000000, 123456789), "mtime reads back 1600000000.123456789");
    CHECK(ts_eq(st.st_atim, 1234567890, 500000000), "atime reads back 1234567890.5");

    /* UTIME_OMIT on atime, exact mtime, via utimensat */
    struct timespec ts2[2] = {
        {.tv_sec = 0, .tv_nsec = UTIME_OMIT},
        {.tv_sec = 987654321, .tv_nsec = 1},
    };
    CHECK(utimensat(AT_FDCWD, "hard.txt", ts2, 0) == 0, "utimensat UTIME_OMIT atime");
    CHECK(stat("hard.txt", &st) == 0 && ts_eq(st.st_mtim, 987654321, 1), "mtime 987654321.000000001");
    CHECK(ts_eq(st.st_atim, 1234567890, 500000000), "atime unchanged by UTIME_OMIT");

    /* futimens (fd_filestat_set_times) */
    fd = open("hard.txt", O_WRONLY);
    CHECK(fd >= 0, "open hard.txt O_WRONLY");
    struct timespec ts3[2] = {
        {.tv_sec = 1000000000, .tv_nsec = 999999999},
        {.tv_sec = 0, .tv_nsec = UTIME_OMIT},
    };
    CHECK(set_fd_times(fd, ts3) == 0, "futimens atime only");
    CHECK(fstat(fd, &st) == 0 && ts_eq(st.st_atim, 1000000000, 999999999), "atime 1000000000.999999999");
    CHECK(ts_eq(st.st_mtim, 987654321, 1), "mtime unchanged by UTIME_OMIT");
    struct timespec ts4[2] = {
        {.tv_sec = 0, .tv_nsec = UTIME_OMIT},
        {.tv_sec = 0, .tv_nsec = UTIME_NOW},
    };
    long long now = now_sec();
    CHECK(set_fd_times(fd, ts4) == 0, "futimens mtime UTIME_NOW");
    CHECK(fstat(fd, &st) == 0 && recent(st.st_mtim, now), "mtime is now (within 5 s)");
    CHECK(ts_eq(st.st_atim, 1000000000, 999999999), "atime kept");

    /* a write updates mtime */
    CHECK(futimens(fd, ts) == 0, "futimens back to 2020");
    CHECK(write(fd, "w", 1) == 1, "write 1 byte");
    now = now_sec();
    CHECK(fstat(fd, &st) == 0 && recent(st.st_mtim, now), "write set mtime to now");
    close(fd);

    /* times on a directory, and utimensat(NULL) = both now */
    CHECK(utimensat(AT_FDCWD, "d", ts, 0) == 0, "utimensat on a directory");
    CHECK(stat("d", &st) == 0 && ts_eq(st.st_mtim, 1600000000, 123456789), "directory mtime exact");
    now = now_sec();
    CHECK(set_path_times_now("d") == 0, "utimensat NULL (now)");
    CHECK(stat("d", &st) == 0 && recent(st.st_mtim, now) && recent(st.st_atim, now),
          "directory atime and mtime now");
    EXPECT_ERR(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT, "utimensat missing");

    /* a new entry updates the directory's mtime */
    CHECK(utimensat(AT_FDCWD, "d", ts, 0) == 0, "directory mtime back to 2020");
    CHECK(touch("d/new", "n") == 0, "create d/new");
    now = now_sec();
    CHECK(stat("d", &st) == 0 && recent(st.st_mtim, now), "creating d/new set d's mtime to now");

    CHECK(unlink("d/new") == 0 && rmdir("d") == 0 && unlink("hard.txt") == 0 && unlink("empty.txt") == 0,
          "clean up");
    return finish("filestat");
}
