/* Shared helpers for the WASI test programs (header only; each program is one
 * translation unit).  Output must be deterministic: print only checks, never
 * times, random bytes, inode numbers or other host-dependent values. */
#ifndef WAOT_WASI_COMMON_H
#define WAOT_WASI_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* errno as a name: the numeric values differ between WASI and Linux. */
__attribute__((unused)) static const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ESPIPE: return "ESPIPE";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case EBUSY: return "EBUSY";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: return "E?";
    }
}

__attribute__((unused)) static int failures;

/* CHECK(cond, "what"): prints "ok what" or "FAIL what (errno NAME)". */
#define CHECK(cond, what)                                                      \
    do {                                                                       \
        int c_ = (cond);                                                       \
        int e_ = errno;                                                        \
        if (c_) {                                                              \
            printf("ok %s\n", what);                                           \
        } else {                                                               \
            printf("FAIL %s (line %d, errno %s)\n", what, __LINE__,            \
                   errname(e_));                                               \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* EXPECT_ERR(call, ERRNO, "what"): call must return -1 with errno == ERRNO;
 * prints "ok what: ERRNO" or what happened instead. */
#define EXPECT_ERR(call, err, what)                                            \
    do {                                                                       \
        errno = 0;                                                             \
        long r_ = (long)(call);                                                \
        int e_ = errno;                                                        \
        if (r_ == -1 && e_ == (err)) {                                         \
            printf("ok %s: %s\n", what, errname(e_));                          \
        } else {                                                               \
            printf("FAIL %s (line %d): got %ld, errno %s, want %s\n", what,    \
                   __LINE__, r_, errname(e_), errname(err));                   \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* Ends main: a summary line, status 1 if any check failed. */
__attribute__((unused)) static int finish(const char *prog) {
    printf("%s: %s\n", prog, failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}

#endif
