/* Directories: mkdir, opendir/readdir (names printed sorted, with types),
 * rewinddir, scandir, rename of files and directories (including replacing
 * an existing file), unlink, rmdir and their error cases. Works in ".". */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int touch(const char *path, const char *content) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, content, strlen(content));
    close(fd);
    return n == (ssize_t)strlen(content) ? 0 : -1;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *type_name(unsigned char t) {
    switch (t) {
    case DT_REG: return "file";
    case DT_DIR: return "dir";
    case DT_LNK: return "link";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}

/* Prints "ls PATH: name/type name/type ..." sorted, skipping "." and "..",
 * and checks that "." and ".." were both returned. */
static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("FAIL opendir %s (errno %s)\n", path, errname(errno));
        failures++;
        return;
    }
    char *names[64];
    int n = 0, dot = 0, dotdot = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0) { dot++; continue; }
        if (strcmp(e->d_name, "..") == 0) { dotdot++; continue; }
        char *s = malloc(strlen(e->d_name) + 16);
        sprintf(s, "%s/%s", e->d_name, type_name(e->d_type));
        if (n < 64) names[n++] = s;
    }
    int err = errno;
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    if (err) { printf("FAIL readdir %s (errno %s)\n", path, errname(err)); failures++; }
    /* WASI's fd_readdir may or may not return "." and "..": do not print them. */
    (void)dot;
    (void)dotdot;
}

static int count_entries(DIR *d) {
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    return n;
}

static int no_dots(const struct dirent *e) {
    return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

int main(void) {
    char name[64];
    struct stat st;

    CHECK(mkdir("top", 0755) == 0, "mkdir top");
    EXPECT_ERR(mkdir("top", 0755), EEXIST, "mkdir top again");
    CHECK(mkdir("top/sub", 0755) == 0, "mkdir top/sub");
    CHECK(mkdir("top/sub/deep", 0755) == 0, "mkdir top/sub/deep");
    EXPECT_ERR(mkdir("nope/x", 0755), ENOENT, "mkdir under missing dir");
    CHECK(touch("top/a.txt", "alpha") == 0, "create top/a.txt");
    CHECK(touch("top/b.txt", "bravo") == 0, "create top/b.txt");
    CHECK(touch("top/sub/c.txt", "charlie") == 0, "create top/sub/c.txt");
    EXPECT_ERR(mkdir("top/a.txt/x", 0755), ENOTDIR, "mkdir under a file");
    list("top");
    list("top/sub");
    list("top/sub/deep");

    /* Many entries: more than fit in one fd_readdir buffer of wasi-libc. */
    CHECK(mkdir("many", 0755) == 0, "mkdir many");
    int made = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "many/file-with-a-longish-name-%03d.dat", i);
        if (touch(name, "") == 0) made++;
    }
    CHECK(made == 300, "created 300 files");
    DIR *d = opendir("many");
    CHECK(d != NULL, "opendir many");
    if (d) {
        CHECK(count_entries(d) == 300, "readdir returns 300 entries");
        rewinddir(d);
        CHECK(count_entries(d) == 300, "after rewinddir: 300 entries again");
        closedir(d);
    }
    struct dirent **list_ = NULL;
    int n = scandir("many", &list_, no_dots, alphasort);
    CHECK(n == 300, "scandir 300 entries");
    if (n == 300) {
        CHECK(strcmp(list_[0]->d_name, "file-with-a-longish-name-000.dat") == 0 &&
                  strcmp(list_[299]->d_name, "file-with-a-longish-name-299.dat") == 0,
              "scandir alphasort order");
    }
    for (int i = 0; i < n; i++) free(list_[i]);
    free(list_);
    int removed = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "many/file-with-a-longish-name-%03d.dat", i);
        if (unlink(name) == 0) removed++;
    }
    CHECK(removed == 300, "unlinked 300 files");
    list("many");
    CHECK(rmdir("many") == 0, "rmdir many (now empty)");

    /* rename */
    CHECK(rename("top/a.txt", "top/sub/a-moved.txt") == 0, "rename file into subdir");
    EXPECT_ERR(stat("top/a.txt", &st), ENOENT, "old name gone");
    CHECK(stat("top/sub/a-moved.txt", &st) == 0 && st.st_size == 5, "new name has 5 bytes");
    CHECK(rename("top/b.txt", "top/sub/c.txt") == 0, "rename over existing file");
    CHECK(stat("top/sub/c.txt", &st) == 0 && st.st_size == 5, "replaced file has bravo's 5 bytes");
    CHECK(rename("top/sub/deep", "top/deep2") == 0, "rename directory");
    CHECK(stat("top/deep2", &st) == 0 && S_ISDIR(st.st_mode), "renamed directory is a dir");
    EXPECT_ERR(rename("top/missing", "top/x"), ENOENT, "rename missing source");
    CHECK(mkdir("top/full", 0755) == 0 && touch("top/full/f", "f") == 0, "make top/full/f");
    EXPECT_ERR(rename("top/deep2", "top/full"), ENOTEMPTY, "rename dir over non-empty dir");
    EXPECT_ERR(rename("top/deep2", "top/full/f"), ENOTDIR, "rename dir over file");
    EXPECT_ERR(rename("top/full/f", "top/deep2"), EISDIR, "rename file over dir");
    CHECK(rename("top/sub", "top/sub") == 0, "rename to itself");
    list("top");
    list("top/sub");

    /* unlink / rmdir errors */
    EXPECT_ERR(rmdir("top/full"), ENOTEMPTY, "rmdir non-empty");
    EXPECT_ERR(rmdir("top/full/f"), ENOTDIR, "rmdir a file");
    EXPECT_ERR(rmdir("top/nothing"), ENOENT, "rmdir missing");
    EXPECT_ERR(unlink("top/nothing"), ENOENT, "unlink missing");
    errno = 0;
    CHECK(unlink("top/full") == -1 && (errno == EISDIR || errno == EPERM), "unlink a directory refused");
    EXPECT_ERR(opendir("top/full/f") ? 0 : -1, ENOTDIR, "opendir a file");
    EXPECT_ERR(opendir("top/none") ? 0 : -1, ENOENT, "opendir missing");

    /* clean up everything */
    CHECK(unlink("top/full/f") == 0 && rmdir("top/full") == 0, "remove top/full");
    CHECK(unlink("top/sub/a-moved.txt") == 0 && unlink("top/sub/c.txt") == 0, "remove files in sub");
    CHECK(rmdir("top/sub") == 0 && rmdir("top/deep2") == 0, "rmdir sub, deep2");
    list("top");
    CHECK(rmdir("top") == 0, "rmdir top");
    list(".");
    return finish("dirs");
}
