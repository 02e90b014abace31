/* Exit status: exit(n) with n from argv[1] (the manifest passes 42) after
 * atexit handlers have run in reverse order; stdout written with printf but
 * never explicitly flushed (no trailing newline) must still appear. */
#include "common.h"

static void first_registered(void) { printf("atexit: registered first, runs last\n"); }
static void second_registered(void) { printf("atexit: registered second, runs first\n"); }

int main(int argc, char **argv) {
    int code = argc > 1 ? atoi(argv[1]) : 0;
    CHECK(atexit(first_registered) == 0, "atexit 1");
    CHECK(atexit(second_registered) == 0, "atexit 2");
    printf("calling exit(%d)\n", code);
    printf("buffered text without a newline");
    exit(code);
}
