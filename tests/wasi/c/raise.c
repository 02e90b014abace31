/* proc_raise: the signal's default action, as for a native program that
 * installed no handler: ignored signals (SIGCHLD, SIGURG, SIGWINCH) do
 * nothing, SIGTERM kills the process (exit status: killed by signal 15;
 * the manifest's 143 = 128 + 15). wasi-libc's raise() only emulates
 * signals in-process, so under WASI this calls __wasi_proc_raise itself. */
#include "common.h"

#ifdef __wasi__
/* <signal.h> needs wasi-libc's signal emulation, and this wasi-libc's
 * <wasi/api.h> no longer declares proc_raise: import it directly. WASI
 * signal numbers (witx `signal`). */
#include <stdint.h>
#define SIGTERM 15
#define SIGCHLD 16
#define SIGURG 22
#define SIGWINCH 27
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t wasi_proc_raise(uint8_t sig);
static int do_raise(uint8_t sig) {
    uint16_t e = wasi_proc_raise(sig);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}
#else
#include <signal.h>
#define do_raise raise
#endif

int main(void) {
    CHECK(do_raise(SIGCHLD) == 0, "raise SIGCHLD: ignored");
    CHECK(do_raise(SIGURG) == 0, "raise SIGURG: ignored");
    CHECK(do_raise(SIGWINCH) == 0, "raise SIGWINCH: ignored");
    printf("raising SIGTERM\n");
    fflush(stdout);
    do_raise(SIGTERM);
    printf("FAIL still running after SIGTERM\n");
    return finish("raise");
}
