/* Arguments and environment: prints argc, each argv[i] (i >= 1) with its
 * length, the whole environment sorted, getenv of set/unset/empty variables,
 * and setenv/unsetenv; then exits with exit(7). argv[0] is only checked to
 * be non-empty (runners name it differently). Run as the manifest says, with
 * exactly the listed environment. */
#include "common.h"

extern char **environ;

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    CHECK(argv[0] != NULL && argv[0][0] != 0, "argv[0] non-empty");
    for (int i = 1; i < argc; i++) printf("argv[%d] (%zu bytes) = [%s]\n", i, strlen(argv[i]), argv[i]);
    CHECK(argv[argc] == NULL, "argv[argc] is NULL");

    int n = 0;
    while (environ[n]) n++;
    char **sorted = malloc((size_t)(n + 1) * sizeof *sorted);
    for (int i = 0; i < n; i++) sorted[i] = environ[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp);
    printf("environ: %d entries\n", n);
    for (int i = 0; i < n; i++) printf("  %s\n", sorted[i]);
    free(sorted);

    const char *v = getenv("WAOT_GREETING");
    printf("getenv WAOT_GREETING = [%s]\n", v ? v : "(unset)");
    v = getenv("WAOT_EMPTY");
    printf("getenv WAOT_EMPTY = [%s]\n", v ? v : "(unset)");
    v = getenv("WAOT_SURELY_UNSET_VAR");
    printf("getenv WAOT_SURELY_UNSET_VAR = [%s]\n", v ? v : "(unset)");
    v = getenv("WAOT_EQUALS");
    printf("getenv WAOT_EQUALS = [%s]\n", v ? v : "(unset)");

    CHECK(setenv("WAOT_NEW", "fresh", 0) == 0 && strcmp(getenv("WAOT_NEW"), "fresh") == 0, "setenv new");
    CHECK(setenv("WAOT_GREETING", "replaced", 0) == 0 && strcmp(getenv("WAOT_GREETING"), "replaced") != 0,
          "setenv without overwrite keeps old value");
    CHECK(setenv("WAOT_GREETING", "replaced", 1) == 0 && strcmp(getenv("WAOT_GREETING"), "replaced") == 0,
          "setenv with overwrite");
    CHECK(unsetenv("WAOT_GREETING") == 0 && getenv("WAOT_GREETING") == NULL, "unsetenv");

    printf("exiting with 7\n");
    exit(7);
}
