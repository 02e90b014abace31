/* rss: runs a command and reports its peak resident set size.
 *   rss OUTFILE CMD [ARG...]
 * Writes the child's ru_maxrss (KiB) to OUTFILE and exits with the child's
 * status (128+signal if killed).  Used by runner.py instead of measuring from
 * Python: a child forked from the Python interpreter inherits its ~16 MiB
 * high-water mark (Linux keeps the pre-exec maximum in ru_maxrss).  Built
 * statically so the floor it adds is a few hundred KiB. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fputs("usage: rss OUTFILE CMD [ARG...]\n", stderr); return 125; }
    pid_t pid = fork();
    if (pid < 0) { perror("rss: fork"); return 125; }
    if (pid == 0) { execvp(argv[2], argv + 2); perror("rss: exec"); _exit(127); }
    int status; struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) { perror("rss: wait4"); return 125; }
    FILE *f = fopen(argv[1], "w");
    if (f) { fprintf(f, "%ld\n", ru.ru_maxrss); fclose(f); }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
