/* Native counterpart of examples/hello/hello.wat for the start-up benchmark. */
#include <stdio.h>

int main(void) {
    fputs("Hello from waot!\n", stdout);
    return 0;
}
