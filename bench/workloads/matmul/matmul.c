/* matmul: C = A * B for N x N double matrices (default N=1280; smoke: 1 means
 * N=32), cache-blocked i-k-j loops.  Entries are small integers, so every
 * product and sum is exact.  Checks: Freivalds-style C*x == A*(B*x) exactly
 * for two vectors x, and a few entries recomputed as plain dot products.
 * Prints "ok <sum of C> <trace of C>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BS 64

static uint64_t rng = 12345;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

static void matvec(int n, const double *m, const double *x, double *y) {
    for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += m[(size_t)i * n + j] * x[j]; y[i] = s; }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1280;
    if (n <= 1) n = 32;
    size_t nn = (size_t)n * n;
    double *a = malloc(nn * sizeof(double)), *b = malloc(nn * sizeof(double)), *c = calloc(nn, sizeof(double));
    for (size_t i = 0; i < nn; i++) { a[i] = (double)(rnd() % 16); b[i] = (double)(rnd() % 16) - 7; }
    for (int ii = 0; ii < n; ii += BS)
        for (int kk = 0; kk < n; kk += BS)
            for (int jj = 0; jj < n; jj += BS) {
                int ie = ii + BS < n ? ii + BS : n, ke = kk + BS < n ? kk + BS : n, je = jj + BS < n ? jj + BS : n;
                for (int i = ii; i < ie; i++) {
                    double *ci = c + (size_t)i * n;
                    for (int k = kk; k < ke; k++) {
                        double aik = a[(size_t)i * n + k];
                        const double *bk = b + (size_t)k * n;
                        for (int j = jj; j < je; j++) ci[j] += aik * bk[j];
                    }
                }
            }
    double *x = malloc((size_t)n * sizeof(double)), *bx = malloc((size_t)n * sizeof(double)),
           *abx = malloc((size_t)n * sizeof(double)), *cx = malloc((size_t)n * sizeof(double));
    for (int t = 0; t < 2; t++) {
        for (int j = 0; j < n; j++) x[j] = (double)(rnd() % 9) - 4;
        matvec(n, b, x, bx); matvec(n, a, bx, abx); matvec(n, c, x, cx);
        for (int i = 0; i < n; i++)
            if (cx[i] != abx[i]) { printf("FAIL Freivalds check row %d: %.1f != %.1f\n", i, cx[i], abx[i]); return 1; }
    }
    for (int t = 0; t < 16; t++) {
        int i = (int)(rnd() % (uint32_t)n), j = (int)(rnd() % (uint32_t)n);
        double s = 0;
        for (int k = 0; k < n; k++) s += a[(size_t)i * n + k] * b[(size_t)k * n + j];
        if (s != c[(size_t)i * n + j]) { printf("FAIL C[%d][%d] = %.1f, want %.1f\n", i, j, c[(size_t)i * n + j], s); return 1; }
    }
    double sum = 0, trace = 0;
    for (size_t i = 0; i < nn; i++) sum += c[i];
    for (int i = 0; i < n; i++) trace += c[(size_t)i * n + i];
    printf("ok %.0f %.0f\n", sum, trace);
    free(a); free(b); free(c); free(x); free(bx); free(abx); free(cx);
    return 0;
}
