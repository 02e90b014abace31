/*
 * args.c - exercises the WASI argument, environment and exit-status paths.
 * Prints argc and argv[1..] to stdout, the value of WAOT_TEST_VAR (or
 * "(unset)") and whether WAOT_SURELY_UNSET_VAR is set.
 * Writes one line to stderr and exits with status 3.
 * argv[0] is not printed verbatim (it depends on how the program is started);
 * only whether it is non-empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    printf("argv[0] non-empty: %s\n", (argc > 0 && argv[0] && argv[0][0]) ? "yes" : "no");
    size_t total = 0;
    for (int i = 1; i < argc; i++) {
        printf("argv[%d]=\"%s\" (%u bytes)\n", i, argv[i], (unsigned)strlen(argv[i]));
        total += strlen(argv[i]);
    }
    printf("argv total bytes (excluding argv[0]): %u\n", (unsigned)total);
    const char *v = getenv("WAOT_TEST_VAR");
    printf("WAOT_TEST_VAR=%s\n", v ? v : "(unset)");
    const char *u = getenv("WAOT_SURELY_UNSET_VAR");
    printf("WAOT_SURELY_UNSET_VAR is %s\n", u ? "set" : "unset");
    fprintf(stderr, "args: exiting with status 3\n");
    fflush(stdout);
    exit(3);
}
