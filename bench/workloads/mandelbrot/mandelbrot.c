/* mandelbrot: escape-time iteration (max 200) over an N x N grid of the
 * square [-2.0, 0.5] x [-1.25, 1.25] (default N=2500; smoke: 64), producing
 * a 1-bit PBM-style bitmap.  Checks: the picture is symmetric about the
 * real axis (rows y and -y are computed independently and must agree
 * exactly, as conjugation commutes with IEEE rounding), the number of
 * points in the set is plausible (area ~1.506), and for N=64 a known count.
 * Prints "ok <points in set> <checksum of bitmap>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXITER 200

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2500;
    if (n <= 1) n = 64;
    if (n % 2) n++;
    int rowbytes = (n + 7) / 8;
    uint8_t *bits = calloc((size_t)n * (size_t)rowbytes, 1);
    uint64_t inside = 0, iters = 0;
    double scale = 1.25 / (n - 1);
    for (int y = 0; y < n; y++) {
        double ci = (double)(2 * y - (n - 1)) * scale;   /* exact negation for y <-> n-1-y */
        for (int x = 0; x < n; x++) {
            double cr = -2.0 + 2.5 * x / n;
            double zr = 0, zi = 0, tr = 0, ti = 0;
            int i = 0;
            for (; i < MAXITER && tr + ti <= 4.0; i++) {
                zi = 2 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr; ti = zi * zi;
            }
            iters += (uint64_t)i;
            if (i == MAXITER) { bits[(size_t)y * rowbytes + x / 8] |= (uint8_t)(0x80 >> (x % 8)); inside++; }
        }
    }
    for (int y = 0; y < n / 2; y++)
        if (memcmp(bits + (size_t)y * rowbytes, bits + (size_t)(n - 1 - y) * rowbytes, (size_t)rowbytes)) {
            printf("FAIL rows %d and %d differ\n", y, n - 1 - y); return 1;
        }
    double area = (double)inside * (2.5 / n) * (2.5 / n);
    if (area < 1.45 || area > 1.65) { printf("FAIL implausible area %f\n", area); return 1; }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < (size_t)n * (size_t)rowbytes; i++) h = (h ^ bits[i]) * 16777619u;
    if (n == 64 && inside != 966) { printf("FAIL n=64: %llu points inside\n", (unsigned long long)inside); return 1; }
    printf("ok %llu %08x %llu\n", (unsigned long long)inside, (unsigned)h, (unsigned long long)iters);
    free(bits);
    return 0;
}
