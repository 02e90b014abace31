/* A trailing '/' on the path of every path_* call, as Linux treats it: the
 * path must name a directory (a symlink is followed only by calls that
 * follow their last component: open, stat, readlink, utimensat); calls on
 * the name itself (mkdir, unlink, rmdir, rename, link's new name, symlink)
 * never follow it, so "link/" is ENOTDIR there. Works in ".". */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(void) {
    struct stat st;
    char buf[64];
    int fd = open("f", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && close(fd) == 0, "create f");
    CHECK(mkdir("d", 0755) == 0, "mkdir d");
    CHECK(symlink("d", "ld") == 0 && symlink("f", "lf") == 0 && symlink("missing", "lm") == 0,
          "symlinks ld -> d, lf -> f, lm -> missing");

    /* path_create_directory */
    CHECK(mkdir("n1/", 0755) == 0 && is_dir("n1"), "mkdir n1/");
    CHECK(mkdir("n2//", 0755) == 0 && is_dir("n2"), "mkdir n2//");
    EXPECT_ERR(mkdir("f/", 0755), EEXIST, "mkdir f/");
    EXPECT_ERR(mkdir("ld/", 0755), EEXIST, "mkdir ld/");
    EXPECT_ERR(mkdir("lm/", 0755), EEXIST, "mkdir lm/ (dangling link)");

    /* path_open */
    EXPECT_ERR(open("f/", O_RDONLY), ENOTDIR, "open f/");
    EXPECT_ERR(open("lf/", O_RDONLY), ENOTDIR, "open lf/");
    EXPECT_ERR(open("nf/", O_CREAT | O_WRONLY, 0644), EISDIR, "open nf/ O_CREAT");
    CHECK(!exists("nf"), "nf not created");
    EXPECT_ERR(open("lm/", O_RDONLY), ENOENT, "open lm/");
    fd = open("d/", O_RDONLY);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), "open d/");
    if (fd >= 0) close(fd);
    fd = open("ld/", O_RDONLY);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), "open ld/ follows the link");
    if (fd >= 0) close(fd);
    EXPECT_ERR(open("d/", O_CREAT | O_WRONLY, 0644), EISDIR, "open d/ O_CREAT|O_WRONLY");

    /* path_filestat_get */
    EXPECT_ERR(stat("f/", &st), ENOTDIR, "stat f/");
    CHECK(lstat("ld/", &st) == 0 && S_ISDIR(st.st_mode), "lstat ld/ follows the link");
    EXPECT_ERR(lstat("lf/", &st), ENOTDIR, "lstat lf/");
    EXPECT_ERR(lstat("lm/", &st), ENOENT, "lstat lm/");
    EXPECT_ERR(stat("nope/", &st), ENOENT, "stat nope/");
    CHECK(stat("d//", &st) == 0 && S_ISDIR(st.st_mode), "stat d//");

    /* path_unlink_file */
    EXPECT_ERR(unlink("f/"), ENOTDIR, "unlink f/");
    EXPECT_ERR(unlink("lf/"), ENOTDIR, "unlink lf/");
    EXPECT_ERR(unlink("ld/"), ENOTDIR, "unlink ld/");
    EXPECT_ERR(unlink("d/"), EISDIR, "unlink d/");
    EXPECT_ERR(unlink("nope/"), ENOENT, "unlink nope/");
    CHECK(exists("f") && exists("lf") && exists("ld") && is_dir("d"), "all still there");

    /* path_remove_directory */
    EXPECT_ERR(rmdir("f/"), ENOTDIR, "rmdir f/");
    EXPECT_ERR(rmdir("ld/"), ENOTDIR, "rmdir ld/ (the link is not followed)");
    EXPECT_ERR(rmdir("lf/"), ENOTDIR, "rmdir lf/");
    EXPECT_ERR(rmdir("nope/"), ENOENT, "rmdir nope/");
    CHECK(is_dir("d") && exists("ld"), "d and ld still there");
    CHECK(rmdir("n1/") == 0 && !exists("n1"), "rmdir n1/");
    CHECK(rmdir("n2//") == 0 && !exists("n2"), "rmdir n2//");

    /* path_rename */
    EXPECT_ERR(rename("f/", "g"), ENOTDIR, "rename f/ g");
    EXPECT_ERR(rename("f", "g/"), ENOTDIR, "rename f g/");
    EXPECT_ERR(rename("ld/", "g"), ENOTDIR, "rename ld/ g");
    EXPECT_ERR(rename("lf/", "g"), ENOTDIR, "rename lf/ g");
    CHECK(!exists("g") && exists("f") && exists("ld") && exists("lf"), "nothing renamed");
    CHECK(mkdir("e", 0755) == 0, "mkdir e");
    CHECK(rename("e/", "e2/") == 0 && is_dir("e2") && !exists("e"), "rename e/ e2/");
    CHECK(rename("e2", "e3/") == 0 && is_dir("e3"), "rename e2 e3/");
    EXPECT_ERR(rename("e3/", "f"), ENOTDIR, "rename e3/ f (a file)");
    EXPECT_ERR(rename("e3/", "ld"), ENOTDIR, "rename e3/ ld (a symlink)");
    CHECK(is_dir("e3") && rmdir("e3") == 0, "e3 still a directory");

    /* path_link */
    EXPECT_ERR(link("f/", "h"), ENOTDIR, "link f/ h");
    EXPECT_ERR(link("f", "h/"), ENOENT, "link f h/");
    EXPECT_ERR(link("d/", "h"), EPERM, "link d/ h");
    EXPECT_ERR(link("ld/", "h"), EPERM, "link ld/ h");
    EXPECT_ERR(linkat(AT_FDCWD, "lf/", AT_FDCWD, "h", AT_SYMLINK_FOLLOW), ENOTDIR,
               "linkat lf/ h AT_SYMLINK_FOLLOW");
    CHECK(!exists("h"), "no h");

    /* path_symlink: the new name may not end with '/', the target may */
    EXPECT_ERR(symlink("x", "s1/"), ENOENT, "symlink x s1/");
    CHECK(!exists("s1"), "no s1");
    CHECK(symlink("x/", "s2") == 0, "symlink x/ s2");
    ssize_t n = readlink("s2", buf, sizeof buf);
    CHECK(n == 2 && memcmp(buf, "x/", 2) == 0, "readlink s2 = x/");
    EXPECT_ERR(symlink("d", "f/"), EEXIST, "symlink d f/");
    EXPECT_ERR(symlink("d", "d/"), EEXIST, "symlink d d/");

    /* A last component "." names the directory itself, which none of the
     * calls on a name may act on (the directory survives all of them). */
    CHECK(mkdir("dd", 0755) == 0, "mkdir dd");
    EXPECT_ERR(rmdir("dd/."), EINVAL, "rmdir dd/.");
    EXPECT_ERR(rmdir("dd/./"), EINVAL, "rmdir dd/./");
    EXPECT_ERR(rmdir("ld/."), EINVAL, "rmdir ld/.");
    EXPECT_ERR(rmdir("f/."), ENOTDIR, "rmdir f/.");
    EXPECT_ERR(rmdir("nope/."), ENOENT, "rmdir nope/.");
    EXPECT_ERR(mkdir("dd/.", 0755), EEXIST, "mkdir dd/.");
    EXPECT_ERR(unlink("dd/."), EISDIR, "unlink dd/.");
    EXPECT_ERR(rename("dd/.", "x"), EBUSY, "rename dd/. x");
    EXPECT_ERR(rename("f", "dd/."), EBUSY, "rename f dd/.");
    EXPECT_ERR(link("f", "dd/."), EEXIST, "link f dd/.");
    EXPECT_ERR(symlink("f", "dd/."), EEXIST, "symlink f dd/.");
    CHECK(is_dir("dd") && !exists("x") && rmdir("dd") == 0, "dd survived");

    /* path_readlink: the slash follows the link, which then is no link */
    EXPECT_ERR(readlink("ld/", buf, sizeof buf), EINVAL, "readlink ld/");
    EXPECT_ERR(readlink("lf/", buf, sizeof buf), ENOTDIR, "readlink lf/");
    EXPECT_ERR(readlink("lm/", buf, sizeof buf), ENOENT, "readlink lm/");
    EXPECT_ERR(readlink("f/", buf, sizeof buf), ENOTDIR, "readlink f/");
    n = readlink("ld", buf, sizeof buf);
    CHECK(n == 1 && buf[0] == 'd', "readlink ld = d");

    /* path_filestat_set_times */
    struct timespec ts[2] = {{1000000000, 0}, {1000000001, 0}};
    EXPECT_ERR(utimensat(AT_FDCWD, "f/", ts, 0), ENOTDIR, "utimensat f/");
    EXPECT_ERR(utimensat(AT_FDCWD, "f/", ts, AT_SYMLINK_NOFOLLOW), ENOTDIR,
               "utimensat f/ AT_SYMLINK_NOFOLLOW");
    EXPECT_ERR(utimensat(AT_FDCWD, "lf/", ts, AT_SYMLINK_NOFOLLOW), ENOTDIR,
               "utimensat lf/ AT_SYMLINK_NOFOLLOW");
    EXPECT_ERR(utimensat(AT_FDCWD, "nope/", ts, 0), ENOENT, "utimensat nope/");
    CHECK(utimensat(AT_FDCWD, "d/", ts, AT_SYMLINK_NOFOLLOW) == 0 && stat("d", &st) == 0 &&
              st.st_mtime == 1000000001,
          "utimensat d/ sets d's times");
    ts[1].tv_sec = 1000000002;
    CHECK(utimensat(AT_FDCWD, "ld/", ts, AT_SYMLINK_NOFOLLOW) == 0 && stat("d", &st) == 0 &&
              st.st_mtime == 1000000002 && lstat("ld", &st) == 0 &&
              st.st_mtime != 1000000002,
          "utimensat ld/ AT_SYMLINK_NOFOLLOW follows to d, the link is untouched");

    return finish("slashes");
}
