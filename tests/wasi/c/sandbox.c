/* Sandbox escapes (WASI only; natively they would succeed). The runner
 * preopens a fresh directory as "." with inside.txt in it, and puts
 * outside.txt ("host secret") next to that directory. Every attempt to reach
 * outside.txt -- through "..", absolute paths, or symlinks pointing out of
 * the preopen -- must be refused; per WASI preview1 the error is
 * ENOTCAPABLE (wasi-libc errno 76, "Capabilities insufficient"). Prints one
 * line per attempt: "refused ERRNO" or "ALLOWED". The runner then checks
 * that outside.txt is unchanged and that nothing was created next to it.
 * The runner also creates (on the host) the symlinks hostlink ->
 * ../outside.txt, hostabs -> /etc/passwd and hostup -> .. in the preopen.
 * Symlinks whose text points outside may be created (their content is
 * arbitrary data); only following them must fail. */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef ENOTCAPABLE
#define ENOTCAPABLE_OR_NATIVE ENOTCAPABLE
#else /* native build: only for compiling; this program is not run natively */
#define ENOTCAPABLE_OR_NATIVE EACCES
#endif

static void report(const char *what, long r) {
    int e = errno;
    if (r == -1) {
        printf("%-56s refused %s\n", what, errname(e));
    } else {
        printf("%-56s ALLOWED\n", what);
        failures++;
    }
}

static long try_open(const char *path, int flags) {
    errno = 0;
    int fd = open(path, flags, 0644);
    if (fd >= 0) close(fd);
    return fd < 0 ? -1 : fd;
}

/* Creates the symlink LINK -> TARGET (TARGET leads out of the preopen) and
 * opens OPEN_PATH (which goes through LINK) with FLAGS, and stats it.
 * Creating such a link may be refused (WASI leaves it open; a link's text is
 * arbitrary data); if it was created, following it must fail with
 * ENOTCAPABLE, lstat must see the link, and unlink must remove it. Prints
 * "refused" either way, "ALLOWED" or the unexpected errno otherwise. */
static void escape_link(const char *target, const char *link, const char *open_path, int flags) {
    char what[128];
    struct stat st;
    snprintf(what, sizeof what, "follow %s -> %s: %s", link, target, open_path);
    errno = 0;
    if (symlink(target, link) != 0) {
        fprintf(stderr, "sandbox: symlink %s -> %s refused at creation (%s)\n", link, target, errname(errno));
        printf("%-56s refused\n", what);
        return;
    }
    long r = try_open(open_path, flags);
    int e = errno;
    errno = 0;
    int sr = stat(open_path, &st);
    int se = errno;
    if (r == -1 && e == ENOTCAPABLE_OR_NATIVE && sr == -1 && se == ENOTCAPABLE_OR_NATIVE) {
        printf("%-56s refused\n", what);
    } else {
        printf("%-56s open %s (%s), stat %s (%s)\n", what, r == -1 ? "refused" : "ALLOWED", errname(e),
               sr == -1 ? "refused" : "ALLOWED", errname(se));
        failures++;
    }
    /* silent when fine: these lines only exist if the link was created */
    if (lstat(link, &st) != 0 || !S_ISLNK(st.st_mode)) {
        printf("FAIL lstat %s (errno %s)\n", link, errname(errno));
        failures++;
    }
    if (unlink(link) != 0) {
        printf("FAIL unlink %s (errno %s)\n", link, errname(errno));
        failures++;
    }
}

int main(void) {
    struct stat st;
    char buf[64];

    /* sanity: the preopen itself works */
    int fd = open("inside.txt", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    CHECK(n == 6 && memcmp(buf, "inside", 6) == 0, "read inside.txt");
    if (fd >= 0) close(fd);
    CHECK(mkdir("sub", 0755) == 0, "mkdir sub");

    /* dot-dot */
    report("open ../outside.txt O_RDONLY", try_open("../outside.txt", O_RDONLY));
    report("open ../outside.txt O_WRONLY|O_TRUNC", try_open("../outside.txt", O_WRONLY | O_TRUNC));
    report("open ../created.txt O_CREAT", try_open("../created.txt", O_CREAT | O_WRONLY));
    report("open sub/../../outside.txt", try_open("sub/../../outside.txt", O_RDONLY));
    report("open ./../outside.txt", try_open("./../outside.txt", O_RDONLY));
    errno = 0;
    report("stat ../outside.txt", stat("../outside.txt", &st));
    errno = 0;
    DIR *d = opendir("..");
    report("opendir ..", d ? 0 : -1);
    if (d) closedir(d);
    errno = 0;
    report("mkdir ../newdir", mkdir("../newdir", 0755));
    errno = 0;
    report("unlink ../outside.txt", unlink("../outside.txt"));
    errno = 0;
    report("rename inside.txt -> ../x", rename("inside.txt", "../x"));
    errno = 0;
    report("rename ../outside.txt -> stolen.txt", rename("../outside.txt", "stolen.txt"));
    errno = 0;
    report("link ../outside.txt -> hard.txt", link("../outside.txt", "hard.txt"));
    errno = 0;
    report("link inside.txt -> ../hard.txt", link("inside.txt", "../hard.txt"));
    errno = 0;
    report("symlink ../escape-link (link placed outside)", symlink("inside.txt", "../escape-link"));
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    errno = 0;
    report("utimensat ../outside.txt", utimensat(AT_FDCWD, "../outside.txt", ts, 0));

    /* Absolute paths: wasi-libc resolves them against its preopens; with
     * only "." preopened it maps "/" onto that directory (so "/inside.txt"
     * is ./inside.txt and "/etc/passwd" is looked up as ./etc/passwd). The
     * host's /etc/passwd is never reached. */
    report("open /etc/passwd", try_open("/etc/passwd", O_RDONLY));
    report("open /outside.txt", try_open("/outside.txt", O_RDONLY));
    report("open /../outside.txt", try_open("/../outside.txt", O_RDONLY));
    fd = open("/inside.txt", O_RDONLY);
    n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    CHECK(n == 6 && memcmp(buf, "inside", 6) == 0, "open /inside.txt is the preopen's inside.txt");
    if (fd >= 0) close(fd);

    /* Symlinks inside the preopen pointing outside: following them fails. */
    escape_link("../outside.txt", "esc", "esc", O_RDONLY);
    escape_link("../outside.txt", "esc2", "esc2", O_WRONLY | O_TRUNC);
    escape_link("..", "up", "up/outside.txt", O_RDONLY);
    escape_link("..", "up2", "up2", O_RDONLY | O_DIRECTORY);
    escape_link("/etc/passwd", "abs", "abs", O_RDONLY);
    escape_link("/", "root", "root/etc/passwd", O_RDONLY);
    escape_link("../sub/../../outside.txt", "sub/deep", "sub/deep", O_RDONLY);
    escape_link("sub/../..", "updir", "updir/outside.txt", O_RDONLY);

    /* Links the runner created on the host before the run (manifest setup
     * "symlink:"): these exist whatever the runtime thinks of creating them. */
    CHECK(lstat("hostlink", &st) == 0 && S_ISLNK(st.st_mode), "lstat hostlink (host-made, -> ../outside.txt)");
    CHECK(readlink("hostlink", buf, sizeof buf) == 14 && memcmp(buf, "../outside.txt", 14) == 0,
          "readlink hostlink = ../outside.txt");
    report("open hostlink", try_open("hostlink", O_RDONLY));
    report("open hostlink O_WRONLY|O_TRUNC", try_open("hostlink", O_WRONLY | O_TRUNC));
    errno = 0;
    report("stat hostlink", stat("hostlink", &st));
    report("open hostabs (host-made, -> /etc/passwd)", try_open("hostabs", O_RDONLY));
    report("open hostup/outside.txt (host-made hostup -> ..)", try_open("hostup/outside.txt", O_RDONLY));
    errno = 0;
    d = opendir("hostup");
    report("opendir hostup", d ? 0 : -1);
    if (d) closedir(d);

    /* the preopen is intact */
    fd = open("inside.txt", O_RDONLY);
    n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    CHECK(n == 6 && memcmp(buf, "inside", 6) == 0, "inside.txt still there and unchanged");
    if (fd >= 0) close(fd);
    CHECK(rmdir("sub") == 0, "remove sub");
    return finish("sandbox");
}
