/* hello.c - a tiny WASI program: greets, echoes its arguments and one
 * environment variable, and exits with the number of arguments given. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *who = getenv("USER");
    printf("Hello from C, compiled to wasm32-wasi and then to native code by waot!\n");
    printf("USER=%s\n", who ? who : "(unset)");
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    return argc - 1;
}
