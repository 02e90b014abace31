/* lz77: LZ77 compression with hash chains (64 KiB window, max chain 32) and
 * decompression of N MiB of generated text (default N=24; smoke: 1), plus
 * CRC-32 of input and output.  Checks: decompress(compress(x)) == x, the
 * CRC-32 of the round trip matches, and the ratio is plausible.
 * Prints "ok <compressed size> <crc32>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WBITS 16
#define WSIZE (1u << WBITS)
#define HBITS 15
#define MINM 4
#define MAXM 258
#define CHAIN 32

static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint8_t *put_varint(uint8_t *o, uint32_t v) {
    while (v >= 0x80) { *o++ = (uint8_t)(v | 0x80); v >>= 7; }
    *o++ = (uint8_t)v;
    return o;
}
static const uint8_t *get_varint(const uint8_t *p, uint32_t *v) {
    uint32_t r = 0; int s = 0;
    while (*p & 0x80) { r |= (uint32_t)(*p++ & 0x7F) << s; s += 7; }
    *v = r | (uint32_t)*p++ << s;
    return p;
}
static uint32_t hash4(const uint8_t *p) {
    uint32_t v; memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HBITS);
}

/* Token stream: varint literal count, literals, varint match length (0 = end),
 * varint distance. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out) {
    int32_t *head = malloc(sizeof(int32_t) << HBITS);
    int32_t *prev = malloc(sizeof(int32_t) * WSIZE);
    for (size_t i = 0; i < (1u << HBITS); i++) head[i] = -1;
    uint8_t *o = out;
    size_t lit_start = 0, i = 0;
    while (i + MINM <= n) {
        uint32_t h = hash4(in + i);
        int32_t cand = head[h];
        size_t best = 0, bdist = 0;
        size_t maxm = n - i < MAXM ? n - i : MAXM;
        for (int c = 0; c < CHAIN && cand >= 0 && i - (size_t)cand < WSIZE; c++) {
            const uint8_t *a = in + cand, *b = in + i;
            if (a[best] == b[best]) {
                size_t m = 0;
                while (m < maxm && a[m] == b[m]) m++;
                if (m > best) { best = m; bdist = i - (size_t)cand; if (m == maxm) break; }
            }
            cand = prev[cand & (WSIZE - 1)];
        }
        prev[i & (WSIZE - 1)] = head[h];
        head[h] = (int32_t)i;
        if (best >= MINM) {
            o = put_varint(o, (uint32_t)(i - lit_start));
            memcpy(o, in + lit_start, i - lit_start); o += i - lit_start;
            o = put_varint(o, (uint32_t)best);
            o = put_varint(o, (uint32_t)bdist);
            size_t end = i + best;
            for (i++; i < end; i++) {
                if (i + MINM <= n) {
                    uint32_t h2 = hash4(in + i);
                    prev[i & (WSIZE - 1)] = head[h2];
                    head[h2] = (int32_t)i;
                }
            }
            lit_start = i;
        } else {
            i++;
        }
    }
    o = put_varint(o, (uint32_t)(n - lit_start));
    memcpy(o, in + lit_start, n - lit_start); o += n - lit_start;
    o = put_varint(o, 0);
    free(head); free(prev);
    return (size_t)(o - out);
}

static size_t decompress(const uint8_t *in, uint8_t *out, size_t cap) {
    uint8_t *o = out;
    for (;;) {
        uint32_t lits, mlen, dist;
        in = get_varint(in, &lits);
        if ((size_t)(o - out) + lits > cap) return (size_t)-1;
        memcpy(o, in, lits); o += lits; in += lits;
        in = get_varint(in, &mlen);
        if (mlen == 0) break;
        in = get_varint(in, &dist);
        if (dist == 0 || dist > (size_t)(o - out) || (size_t)(o - out) + mlen > cap) return (size_t)-1;
        const uint8_t *s = o - dist;
        for (uint32_t k = 0; k < mlen; k++) o[k] = s[k];
        o += mlen;
    }
    return (size_t)(o - out);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 24;
    if (mib < 1) mib = 1;
    size_t n = (size_t)mib << 20;
    crc_init();
    static const char *words[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
        "compiler", "wasm", "ahead", "of", "time", "native", "code", "module", "function", "memory",
        "table", "import", "export", "value", "stack", "branch", "loop", "block", "i32", "i64",
        "f32", "f64", "and", "a", "to", "in", "is", "that", "for", "it", "with", "as"};
    const int nw = sizeof words / sizeof *words;
    uint8_t *in = malloc(n), *comp = malloc(n + n / 64 + 64), *back = malloc(n);
    size_t i = 0;
    uint32_t prev = 0;
    while (i < n) {
        uint32_t r = rnd();
        const char *w; char num[16];
        if (r % 17 == 0) { snprintf(num, sizeof num, "%u", rnd() % 100000); w = num; }
        else { prev = (prev * 3 + (r >> 8) % 5) % nw; w = words[prev]; }
        for (const char *p = w; *p && i < n; p++) in[i++] = (uint8_t)*p;
        if (i < n) in[i++] = r % 13 == 0 ? '\n' : r % 7 == 0 ? ',' : ' ';
        if (r % 97 == 0) for (int k = 0; k < 8 && i < n; k++) in[i++] = (uint8_t)rnd(); /* noise */
    }
    uint32_t c_in = crc32(in, n);
    size_t clen = compress(in, n, comp);
    size_t dlen = decompress(comp, back, n);
    if (dlen != n) { printf("FAIL decompressed length %zu != %zu\n", dlen, n); return 1; }
    if (memcmp(in, back, n)) { printf("FAIL round trip differs\n"); return 1; }
    uint32_t c_back = crc32(back, n);
    if (c_in != c_back) { printf("FAIL crc mismatch\n"); return 1; }
    if (clen > n || clen * 20 < n) { printf("FAIL implausible ratio %zu/%zu\n", clen, n); return 1; }
    printf("ok %zu %08x\n", clen, (unsigned)crc32(comp, clen));
    free(in); free(comp); free(back);
    return 0;
}
