/* fannkuch: the Benchmarks Game fannkuch-redux (permutations of 1..N in the
 * Heap order used by the reference programs, count pancake flips) for
 * N = argv[1] (default 11; smoke: 1 means N=7).  Checks: checksum and maximum
 * flips equal the published values for N = 7..12.
 * Prints "ok <checksum> <max flips>". */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 11;
    if (n <= 1) n = 7;
    if (n > 12) { printf("FAIL n must be <= 12\n"); return 1; }
    int perm[16], perm1[16], count[16];
    int maxflips = 0, checksum = 0, permcount = 0, r = n;
    for (int i = 0; i < n; i++) perm1[i] = i;
    for (;;) {
        while (r != 1) { count[r - 1] = r; r--; }
        for (int i = 0; i < n; i++) perm[i] = perm1[i];
        int flips = 0, k;
        while ((k = perm[0]) != 0) {
            for (int i = 0, j = k; i < j; i++, j--) { int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
            flips++;
        }
        if (flips > maxflips) maxflips = flips;
        checksum += permcount % 2 == 0 ? flips : -flips;
        for (;;) {
            if (r == n) goto done;
            int p0 = perm1[0];
            for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = p0;
            if (--count[r] > 0) break;
            r++;
        }
        permcount++;
    }
done:;
    static const int want_sum[13] = {0, 0, 0, 0, 0, 0, 0, 228, 1616, 8629, 73196, 556355, 3968050};
    static const int want_max[13] = {0, 0, 0, 0, 0, 0, 0, 16, 22, 30, 38, 51, 65};
    if (n >= 7 && (checksum != want_sum[n] || maxflips != want_max[n])) {
        printf("FAIL n=%d checksum %d maxflips %d\n", n, checksum, maxflips); return 1;
    }
    printf("ok %d %d\n", checksum, maxflips);
    return 0;
}
