/* binarytrees: the Benchmarks Game binary-trees allocation workload (malloc
 * and free of many small nodes) for maximum depth N (default 17; smoke: 1
 * means depth 8).  Checks: every tree's node count equals 2^(d+1)-1, and a
 * long-lived tree survives intact.  Prints "ok <total nodes checked>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Node { struct Node *l, *r; } Node;

static Node *make(int d) {
    Node *n = malloc(sizeof *n);
    if (!n) { printf("FAIL out of memory\n"); exit(1); }
    if (d > 0) { n->l = make(d - 1); n->r = make(d - 1); } else n->l = n->r = NULL;
    return n;
}
static long check(const Node *n) { return n->l ? 1 + check(n->l) + check(n->r) : 1; }
static void drop(Node *n) { if (n->l) { drop(n->l); drop(n->r); } free(n); }

int main(int argc, char **argv) {
    int maxd = argc > 1 ? atoi(argv[1]) : 17;
    if (maxd <= 1) maxd = 8;
    if (maxd < 6) maxd = 6;
    uint64_t total = 0;
    Node *stretch = make(maxd + 1);
    long c = check(stretch);
    if (c != (2L << (maxd + 1)) - 1) { printf("FAIL stretch tree %ld nodes\n", c); return 1; }
    total += (uint64_t)c;
    drop(stretch);
    Node *longlived = make(maxd);
    for (int d = 4; d <= maxd; d += 2) {
        long iters = 1L << (maxd - d + 4), sum = 0;
        for (long i = 0; i < iters; i++) { Node *t = make(d); sum += check(t); drop(t); }
        if (sum != iters * ((2L << d) - 1)) { printf("FAIL depth %d: %ld nodes\n", d, sum); return 1; }
        total += (uint64_t)sum;
    }
    c = check(longlived);
    if (c != (2L << maxd) - 1) { printf("FAIL long-lived tree %ld nodes\n", c); return 1; }
    total += (uint64_t)c;
    drop(longlived);
    printf("ok %llu\n", (unsigned long long)total);
    return 0;
}
