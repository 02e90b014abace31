/* File I/O in the preopened current directory: open/read/write/close, lseek,
 * pread/pwrite, readv/writev, O_APPEND, O_EXCL, O_TRUNC, ftruncate,
 * fcntl(F_GETFL/F_SETFL), fsync/fdatasync, posix_fadvise/posix_fallocate,
 * stdio (fopen/fprintf/fgets/fseek/ftell/fread), fd_tell and fd_renumber.
 * Creates and removes its own files. */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static off_t tell(int fd) {
#ifdef __wasi__
    __wasi_filesize_t pos;
    if (__wasi_fd_tell(fd, &pos) != 0) return -1;
    return (off_t)pos;
#else
    return lseek(fd, 0, SEEK_CUR);
#endif
}

/* Moves fd `from` onto fd `to` (closing `to` first); `from` is closed. */
static int renumber(int from, int to) {
#ifdef __wasi__
    return __wasi_fd_renumber(from, to) == 0 ? 0 : -1;
#else
    if (dup2(from, to) < 0) return -1;
    return close(from);
#endif
}

static off_t fsize(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    return st.st_size;
}

static int read_all(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) { close(fd); return -1; }
        if (r == 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    close(fd);
    return (int)n;
}

int main(void) {
    char buf[256];
    const char *text = "hello, wasi\nsecond line\n";
    size_t tlen = strlen(text);

    /* --- create, write, read back --- */
    int fd = open("data.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0, "open O_CREAT|O_WRONLY|O_TRUNC");
    CHECK(write(fd, text, tlen) == (ssize_t)tlen, "write 24 bytes");
    CHECK(tell(fd) == (off_t)tlen, "position after write is 24 (fd_tell)");
    CHECK(fsync(fd) == 0, "fsync");
    CHECK(fdatasync(fd) == 0, "fdatasync");
    CHECK(close(fd) == 0, "close");

    fd = open("data.txt", O_RDONLY);
    CHECK(fd >= 0, "open O_RDONLY");
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "read 5 bytes: hello");
    CHECK(read(fd, buf, sizeof buf) == (ssize_t)(tlen - 5), "read rest: 19 bytes");
    CHECK(read(fd, buf, sizeof buf) == 0, "read at EOF returns 0");
    errno = 0;
    CHECK(write(fd, "x", 1) == -1, "write to O_RDONLY fd refused");
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0, "posix_fadvise");

    /* --- lseek --- */
    CHECK(lseek(fd, 7, SEEK_SET) == 7, "lseek SEEK_SET 7");
    CHECK(read(fd, buf, 4) == 4 && memcmp(buf, "wasi", 4) == 0, "read at 7: wasi");
    CHECK(lseek(fd, 0, SEEK_CUR) == 11, "lseek SEEK_CUR 0 = 11");
    CHECK(lseek(fd, -5, SEEK_END) == (off_t)tlen - 5, "lseek SEEK_END -5 = 19");
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "line\n", 5) == 0, "read at 19: line\\n");
    CHECK(lseek(fd, -3, SEEK_CUR) == (off_t)tlen - 3, "lseek SEEK_CUR -3 = 21");
    EXPECT_ERR(lseek(fd, -100, SEEK_SET), EINVAL, "lseek to negative offset");
    CHECK(lseek(fd, 100, SEEK_SET) == 100, "lseek past EOF = 100");
    CHECK(read(fd, buf, sizeof buf) == 0, "read past EOF returns 0");
    close(fd);

    /* --- pread / pwrite do not move the position --- */
    fd = open("data.txt", O_RDWR);
    CHECK(fd >= 0, "open O_RDWR");
    CHECK(lseek(fd, 3, SEEK_SET) == 3, "lseek 3");
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 6, 12) == 6 && memcmp(buf, "second", 6) == 0, "pread 6 at 12: second");
    CHECK(lseek(fd, 0, SEEK_CUR) == 3, "position still 3 after pread");
    CHECK(pwrite(fd, "SECOND", 6, 12) == 6, "pwrite 6 at 12");
    CHECK(lseek(fd, 0, SEEK_CUR) == 3, "position still 3 after pwrite");
    CHECK(pwrite(fd, "!!", 2, 30) == 2, "pwrite past EOF at 30");
    CHECK(fsize(fd) == 32, "size now 32 (hole filled)");
    CHECK(pread(fd, buf, 8, 24) == 8 && memcmp(buf, "\0\0\0\0\0\0!!", 8) == 0,
          "hole reads as zeros");
    CHECK(pread(fd, buf, 10, 32) == 0, "pread at EOF returns 0");
    CHECK(write(fd, "LO", 2) == 2, "write at position 3");
    CHECK(lseek(fd, 0, SEEK_CUR) == 5, "position 5 after write");

    /* --- ftruncate --- */
    CHECK(ftruncate(fd, 24) == 0, "ftruncate to 24");
    CHECK(fsize(fd) == 24, "size 24");
    CHECK(ftruncate(fd, 4096) == 0, "ftruncate to 4096");
    CHECK(fsize(fd) == 4096, "size 4096");
    CHECK(pread(fd, buf, 4, 4000) == 4 && memcmp(buf, "\0\0\0\0", 4) == 0,
          "extended region reads as zeros");
    CHECK(ftruncate(fd, 24) == 0, "ftruncate back to 24");
    close(fd);
    CHECK(read_all("data.txt", buf, sizeof buf) == 24 &&
              strcmp(buf, "helLO, wasi\nSECOND line\n") == 0,
          "content after pwrite/write/truncate");

    /* --- readv / writev with several buffers --- */
    fd = open("vec.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0, "open vec.txt");
    struct iovec wv[3] = {
        {.iov_base = "abc", .iov_len = 3},
        {.iov_base = "", .iov_len = 0},
        {.iov_base = "defgh", .iov_len = 5},
    };
    CHECK(writev(fd, wv, 3) == 8, "writev 3+0+5 bytes");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
    char a[2], b[4], c[8];
    struct iovec rv[3] = {{a, 2}, {b, 4}, {c, 8}};
    CHECK(readv(fd, rv, 3) == 8, "readv 8 bytes into 2+4+8");
    CHECK(memcmp(a, "ab", 2) == 0 && memcmp(b, "cdef", 4) == 0 && memcmp(c, "gh", 2) == 0,
          "readv scatters in order");
    close(fd);
    CHECK(unlink("vec.txt") == 0, "unlink vec.txt");

    /* --- O_APPEND, and F_SETFL toggling it --- */
    fd = open("log.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0, "open log.txt");
    CHECK(write(fd, "0123456789", 10) == 10, "write 10");
    close(fd);
    fd = open("log.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open O_WRONLY|O_APPEND");
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0, "F_GETFL has O_APPEND");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek 0 on append fd");
    CHECK(write(fd, "ab", 2) == 2, "append write");
    CHECK(fsize(fd) == 12, "appended at end: size 12");
    CHECK(fcntl(fd, F_SETFL, 0) == 0, "F_SETFL clear O_APPEND");
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) == 0, "F_GETFL no O_APPEND");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek 0");
    CHECK(write(fd, "XY", 2) == 2, "write at 0");
    CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0, "F_SETFL set O_APPEND");
    CHECK(write(fd, "cd", 2) == 2, "append write again");
    close(fd);
    CHECK(read_all("log.txt", buf, sizeof buf) == 14 && strcmp(buf, "XY23456789abcd") == 0,
          "log.txt = XY23456789abcd");

    /* --- O_EXCL, O_TRUNC, opening missing files --- */
    EXPECT_ERR(open("log.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST, "O_CREAT|O_EXCL on existing");
    EXPECT_ERR(open("missing.txt", O_RDONLY), ENOENT, "open missing file");
    EXPECT_ERR(open("missing/dir/file", O_CREAT | O_WRONLY, 0644), ENOENT, "create in missing dir");
    fd = open("log.txt", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && fsize(fd) == 0, "O_TRUNC empties file");
    close(fd);

    /* --- posix_fallocate --- */
    fd = open("alloc.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0, "open alloc.bin");
    CHECK(posix_fallocate(fd, 0, 10000) == 0, "posix_fallocate 10000");
    CHECK(fsize(fd) == 10000, "size 10000 after fallocate");
    CHECK(posix_fallocate(fd, 0, 100) == 0 && fsize(fd) == 10000, "fallocate never shrinks");
    close(fd);

    /* --- fd_renumber (dup2 natively) --- */
    int f1 = open("data.txt", O_RDONLY);
    int f2 = open("log.txt", O_RDONLY);
    CHECK(f1 >= 0 && f2 >= 0, "open two fds");
    CHECK(renumber(f1, f2) == 0, "renumber data.txt fd onto log.txt fd");
    memset(buf, 0, sizeof buf);
    CHECK(read(f2, buf, 5) == 5 && memcmp(buf, "helLO", 5) == 0, "renumbered fd reads data.txt");
    errno = 0;
    CHECK(read(f1, buf, 1) == -1 && errno == EBADF, "old fd is closed (EBADF)");
    close(f2);
    EXPECT_ERR(close(f2), EBADF, "close twice");

    /* --- stdio on files --- */
    FILE *f = fopen("stdio.txt", "w");
    CHECK(f != NULL, "fopen w");
    for (int i = 1; i <= 100; i++) fprintf(f, "line %03d %s\n", i, i % 2 ? "odd" : "even");
    CHECK(ftell(f) == 1350, "ftell 1350 after 100 lines");
    CHECK(fclose(f) == 0, "fclose");
    f = fopen("stdio.txt", "r");
    CHECK(f != NULL, "fopen r");
    int lines = 0, odd = 0;
    while (fgets(buf, sizeof buf, f)) {
        lines++;
        if (strstr(buf, "odd")) odd++;
    }
    CHECK(lines == 100 && odd == 50, "fgets 100 lines, 50 odd");
    CHECK(feof(f) && !ferror(f), "feof, no ferror");
    CHECK(fseek(f, 553, SEEK_SET) == 0, "fseek to line 42 (offset 553)");
    CHECK(fgets(buf, sizeof buf, f) && strcmp(buf, "line 042 even\n") == 0, "read line 42");
    CHECK(fseek(f, -14, SEEK_END) == 0 && ftell(f) == 1336, "fseek SEEK_END -14");
    CHECK(fread(buf, 1, sizeof buf, f) == 14 && memcmp(buf, "line 100 even\n", 14) == 0,
          "fread last line");
    fclose(f);
    f = fopen("stdio.txt", "a+");
    CHECK(f != NULL && fputs("tail\n", f) >= 0, "fopen a+ and fputs");
    rewind(f);
    CHECK(fgets(buf, sizeof buf, f) && strcmp(buf, "line 001 odd\n") == 0, "a+ reads from start");
    fclose(f);
    f = fopen("stdio.txt", "r");
    CHECK(f && fseek(f, -5, SEEK_END) == 0 && fgets(buf, sizeof buf, f) && strcmp(buf, "tail\n") == 0,
          "appended tail at end");
    if (f) fclose(f);
    CHECK(fopen("missing.txt", "r") == NULL && errno == ENOENT, "fopen missing: ENOENT");

    /* --- clean up --- */
    CHECK(unlink("data.txt") == 0 && unlink("log.txt") == 0 && unlink("alloc.bin") == 0 &&
              unlink("stdio.txt") == 0,
          "unlink all");
    EXPECT_ERR(unlink("data.txt"), ENOENT, "unlink again");
    return finish("files");
}
