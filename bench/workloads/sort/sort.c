/* sort: sorts N million 32-bit integers from an LCG (default N=8; smoke: 1
 * means 50,000) three ways: quicksort (median of three, insertion sort for
 * small ranges), bottom-up mergesort, and LSD radix sort.  Checks: each
 * result is non-decreasing, all three are identical, and the multiset is
 * preserved (sum and sum of squares mod 2^64 before and after).
 * Prints "ok <hash of sorted array>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void insertion(uint32_t *a, long lo, long hi) {
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i]; long j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static void quicksort(uint32_t *a, long lo, long hi) {
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) { uint32_t t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
        if (a[hi] < a[lo]) { uint32_t t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
        if (a[hi] < a[mid]) { uint32_t t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
        uint32_t p = a[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    insertion(a, lo, hi);
}

static void mergesort_bu(uint32_t *a, uint32_t *tmp, long n) {
    uint32_t *src = a, *dst = tmp;
    for (long w = 1; w < n; w *= 2) {
        for (long lo = 0; lo < n; lo += 2 * w) {
            long mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        uint32_t *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, sizeof(uint32_t) * (size_t)n);
}

static void radix(uint32_t *a, uint32_t *tmp, long n) {
    for (int shift = 0; shift < 32; shift += 8) {
        long cnt[257] = {0};
        for (long i = 0; i < n; i++) cnt[((a[i] >> shift) & 0xFF) + 1]++;
        for (int b = 0; b < 256; b++) cnt[b + 1] += cnt[b];
        for (long i = 0; i < n; i++) tmp[cnt[(a[i] >> shift) & 0xFF]++] = a[i];
        memcpy(a, tmp, sizeof(uint32_t) * (size_t)n);
    }
}

static void sums(const uint32_t *a, long n, uint64_t *s1, uint64_t *s2) {
    uint64_t x = 0, y = 0;
    for (long i = 0; i < n; i++) { x += a[i]; y += (uint64_t)a[i] * a[i]; }
    *s1 = x; *s2 = y;
}

static int sorted(const uint32_t *a, long n) {
    for (long i = 1; i < n; i++) if (a[i - 1] > a[i]) return 0;
    return 1;
}

int main(int argc, char **argv) {
    long m = argc > 1 ? atol(argv[1]) : 8;
    long n = m <= 1 ? 50000 : m * 1000000;
    uint32_t *orig = malloc(sizeof(uint32_t) * (size_t)n), *q = malloc(sizeof(uint32_t) * (size_t)n),
             *ms = malloc(sizeof(uint32_t) * (size_t)n), *rs = malloc(sizeof(uint32_t) * (size_t)n),
             *tmp = malloc(sizeof(uint32_t) * (size_t)n);
    if (!orig || !q || !ms || !rs || !tmp) { printf("FAIL malloc\n"); return 1; }
    uint32_t x = 2463534242u;
    for (long i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        orig[i] = i % 10 == 0 ? (x >> 28) : x ^ (x >> 15);   /* 10% small values: many duplicates */
    }
    uint64_t s1, s2, t1, t2;
    sums(orig, n, &s1, &s2);
    memcpy(q, orig, sizeof(uint32_t) * (size_t)n);
    memcpy(ms, orig, sizeof(uint32_t) * (size_t)n);
    memcpy(rs, orig, sizeof(uint32_t) * (size_t)n);
    quicksort(q, 0, n - 1);
    mergesort_bu(ms, tmp, n);
    radix(rs, tmp, n);
    if (!sorted(q, n)) { printf("FAIL quicksort output not sorted\n"); return 1; }
    if (!sorted(ms, n)) { printf("FAIL mergesort output not sorted\n"); return 1; }
    if (!sorted(rs, n)) { printf("FAIL radix sort output not sorted\n"); return 1; }
    if (memcmp(q, ms, sizeof(uint32_t) * (size_t)n) || memcmp(q, rs, sizeof(uint32_t) * (size_t)n)) {
        printf("FAIL sorts disagree\n"); return 1;
    }
    sums(q, n, &t1, &t2);
    if (s1 != t1 || s2 != t2) { printf("FAIL multiset changed\n"); return 1; }
    uint64_t h = 14695981039346656037ull;
    for (long i = 0; i < n; i += 97) h = (h ^ q[i]) * 1099511628211ull;
    printf("ok %016llx\n", (unsigned long long)h);
    free(orig); free(q); free(ms); free(rs); free(tmp);
    return 0;
}
