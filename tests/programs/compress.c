/*
 * compress.c - LZ77 (hash chains, lazy matching) + canonical Huffman coder and an
 * LZW coder.  Generates several deterministic inputs (pseudo-text, runs, noise,
 * a ~1 MiB mixed buffer that forces the heap to grow), compresses, decompresses,
 * verifies and prints sizes and checksums (CRC-32, Adler-32, FNV-1a 64).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- checksums ---------------- */
static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
static uint32_t adler32(const uint8_t *p, size_t n) {
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) { a = (a + p[i]) % 65521u; b = (b + a) % 65521u; }
    return (b << 16) | a;
}
static uint64_t fnv64(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
    return h;
}

/* ---------------- deterministic input generation ---------------- */
static uint64_t rng_state;
static uint32_t rng(void) {
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static const char *words[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "wasm", "module",
    "function", "memory", "table", "global", "import", "export", "compile", "native",
    "cranelift", "runtime", "trap", "stack", "linear", "ahead", "of", "time", "and",
    "a", "to", "in", "is", "it", "that", "with", "for", "as", "on", "be", "at", "by"
};

static size_t gen_text(uint8_t *out, size_t n) {
    size_t i = 0;
    int nw = (int)(sizeof words / sizeof words[0]);
    int sentence = 0;
    while (i < n) {
        uint32_t r = rng();
        /* zipf-ish: favour early words */
        int w = (int)((r % nw) * (r % nw) / nw);
        const char *s = words[w];
        size_t len = strlen(s);
        for (size_t k = 0; k < len && i < n; k++) {
            char c = s[k];
            if (sentence == 0 && k == 0) c = (char)(c - 'a' + 'A');
            out[i++] = (uint8_t)c;
        }
        sentence++;
        if (i < n) {
            if (sentence > 6 + (int)(r >> 28)) { out[i++] = '.'; sentence = 0; if (i < n) out[i++] = (r & 0x100) ? '\n' : ' '; }
            else out[i++] = ' ';
        }
    }
    return n;
}

/* ---------------- bit I/O ---------------- */
typedef struct { uint8_t *buf; size_t cap, pos; uint32_t acc; int nbits; } bitw;
static void bw_put(bitw *w, uint32_t v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        w->acc = (w->acc << 1) | ((v >> i) & 1);
        if (++w->nbits == 8) {
            if (w->pos >= w->cap) { fprintf(stderr, "bit buffer overflow\n"); exit(2); }
            w->buf[w->pos++] = (uint8_t)w->acc; w->acc = 0; w->nbits = 0;
        }
    }
}
static void bw_flush(bitw *w) { while (w->nbits) bw_put(w, 0, 1); }

typedef struct { const uint8_t *buf; size_t len, pos; int bit; } bitr;
static uint32_t br_get(bitr *r, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        uint32_t b = 0;
        if (r->pos < r->len) b = (r->buf[r->pos] >> (7 - r->bit)) & 1;
        if (++r->bit == 8) { r->bit = 0; r->pos++; }
        v = (v << 1) | b;
    }
    return v;
}

/* ---------------- LZ77 tokenizer ---------------- */
#define WIN_BITS 15
#define WIN (1 << WIN_BITS)
#define MIN_MATCH 3
#define MAX_MATCH 258
#define HASH_BITS 14
#define MAX_CHAIN 64

typedef struct { uint16_t len; uint16_t dist; uint8_t lit; } token; /* len==0: literal */

static size_t lz_tokenize(const uint8_t *in, size_t n, token *toks) {
    int32_t *head = malloc(sizeof(int32_t) << HASH_BITS);
    int32_t *prev = malloc(sizeof(int32_t) * (n ? n : 1));
    for (int i = 0; i < (1 << HASH_BITS); i++) head[i] = -1;
    size_t nt = 0, i = 0;
#define HASH(p) ((((uint32_t)(p)[0] << 10) ^ ((uint32_t)(p)[1] << 5) ^ (p)[2]) & ((1u << HASH_BITS) - 1))
#define INSERT(k) do { if ((k) + MIN_MATCH <= n) { uint32_t h_ = HASH(in + (k)); prev[k] = head[h_]; head[h_] = (int32_t)(k); } } while (0)
    while (i < n) {
        size_t best_len = 0, best_dist = 0;
        if (i + MIN_MATCH <= n) {
            int32_t cand = head[HASH(in + i)];
            int chain = MAX_CHAIN;
            while (cand >= 0 && (size_t)cand + WIN > i && chain--) {
                size_t maxl = n - i < MAX_MATCH ? n - i : MAX_MATCH;
                size_t l = 0;
                while (l < maxl && in[cand + l] == in[i + l]) l++;
                if (l > best_len) { best_len = l; best_dist = i - (size_t)cand; if (l == maxl) break; }
                cand = prev[cand];
            }
        }
        if (best_len >= MIN_MATCH) {
            toks[nt].len = (uint16_t)best_len; toks[nt].dist = (uint16_t)best_dist; toks[nt].lit = 0; nt++;
            for (size_t k = 0; k < best_len; k++) INSERT(i + k);
            i += best_len;
        } else {
            toks[nt].len = 0; toks[nt].dist = 0; toks[nt].lit = in[i]; nt++;
            INSERT(i);
            i++;
        }
    }
    free(head);
    free(prev);
    return nt;
}

/* ---------------- canonical Huffman ---------------- */
/* symbols 0..255 literals, 256..511 length (len-3), 512 end */
#define NSYM 513
#define MAXBITS 15

static void huff_lengths(const uint32_t *freq, int n, uint8_t *lens) {
    /* package-merge would be exact; use simple heap Huffman + length limiting by rescaling */
    uint32_t f[NSYM];
    memcpy(f, freq, sizeof(uint32_t) * n);
    for (;;) {
        int parent[2 * NSYM], nodes = n;
        uint64_t w[2 * NSYM];
        int alive[2 * NSYM], nalive = 0;
        for (int i = 0; i < n; i++) { w[i] = f[i]; parent[i] = -1; if (f[i]) alive[nalive++] = i; }
        memset(lens, 0, (size_t)n);
        if (nalive == 1) { lens[alive[0]] = 1; return; }
        while (nalive > 1) {
            /* find two smallest (ties: lowest index) */
            int a = -1, b = -1;
            for (int k = 0; k < nalive; k++) {
                int x = alive[k];
                if (a < 0 || w[x] < w[a] || (w[x] == w[a] && x < a)) { b = a; a = x; }
                else if (b < 0 || w[x] < w[b] || (w[x] == w[b] && x < b)) b = x;
            }
            int p = nodes++;
            w[p] = w[a] + w[b]; parent[p] = -1; parent[a] = p; parent[b] = p;
            int m = 0;
            for (int k = 0; k < nalive; k++) if (alive[k] != a && alive[k] != b) alive[m++] = alive[k];
            alive[m++] = p;
            nalive = m;
        }
        int maxl = 0;
        for (int i = 0; i < n; i++) {
            if (!f[i]) continue;
            int d = 0;
            for (int x = i; parent[x] >= 0; x = parent[x]) d++;
            lens[i] = (uint8_t)d;
            if (d > maxl) maxl = d;
        }
        if (maxl <= MAXBITS) return;
        for (int i = 0; i < n; i++) if (f[i]) f[i] = (f[i] >> 1) | 1;
    }
}

static void huff_codes(const uint8_t *lens, int n, uint32_t *codes) {
    uint32_t bl_count[MAXBITS + 1] = {0}, next_code[MAXBITS + 2];
    for (int i = 0; i < n; i++) bl_count[lens[i]]++;
    bl_count[0] = 0;
    uint32_t code = 0;
    for (int b = 1; b <= MAXBITS; b++) { code = (code + bl_count[b - 1]) << 1; next_code[b] = code; }
    for (int i = 0; i < n; i++) if (lens[i]) codes[i] = next_code[lens[i]]++;
}

/* decoding by canonical tables */
typedef struct { uint32_t first[MAXBITS + 1]; uint32_t count[MAXBITS + 1]; uint32_t offset[MAXBITS + 1]; uint16_t syms[NSYM]; } hdec;
static void hdec_build(hdec *d, const uint8_t *lens, int n) {
    memset(d, 0, sizeof *d);
    for (int i = 0; i < n; i++) if (lens[i]) d->count[lens[i]]++;
    uint32_t code = 0, off = 0;
    for (int b = 1; b <= MAXBITS; b++) {
        d->first[b] = code; d->offset[b] = off;
        off += d->count[b];
        code = (code + d->count[b]) << 1;
    }
    uint32_t fill[MAXBITS + 1];
    memcpy(fill, d->offset, sizeof fill);
    for (int i = 0; i < n; i++) if (lens[i]) d->syms[fill[lens[i]]++] = (uint16_t)i;
}
static int hdec_sym(const hdec *d, bitr *r) {
    uint32_t code = 0;
    for (int b = 1; b <= MAXBITS; b++) {
        code = (code << 1) | br_get(r, 1);
        if (code - d->first[b] < d->count[b]) return d->syms[d->offset[b] + code - d->first[b]];
    }
    return -1;
}

static size_t lzh_compress(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *ntok_out) {
    token *toks = malloc(sizeof(token) * (n + 1));
    size_t nt = lz_tokenize(in, n, toks);
    *ntok_out = nt;
    uint32_t freq[NSYM] = {0};
    for (size_t i = 0; i < nt; i++) freq[toks[i].len ? 256 + toks[i].len - MIN_MATCH : toks[i].lit]++;
    freq[512]++;
    uint8_t lens[NSYM];
    uint32_t codes[NSYM];
    huff_lengths(freq, NSYM, lens);
    huff_codes(lens, NSYM, codes);
    bitw w = {out, cap, 0, 0, 0};
    bw_put(&w, (uint32_t)n, 32);
    for (int i = 0; i < NSYM; i++) bw_put(&w, lens[i], 4);
    for (size_t i = 0; i < nt; i++) {
        int s = toks[i].len ? 256 + toks[i].len - MIN_MATCH : toks[i].lit;
        bw_put(&w, codes[s], lens[s]);
        if (toks[i].len) bw_put(&w, toks[i].dist, WIN_BITS);
    }
    bw_put(&w, codes[512], lens[512]);
    bw_flush(&w);
    free(toks);
    return w.pos;
}

static size_t lzh_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    bitr r = {in, n, 0, 0};
    size_t total = br_get(&r, 32);
    if (total > cap) return (size_t)-1;
    uint8_t lens[NSYM];
    for (int i = 0; i < NSYM; i++) lens[i] = (uint8_t)br_get(&r, 4);
    hdec *d = malloc(sizeof(hdec));
    hdec_build(d, lens, NSYM);
    size_t o = 0;
    for (;;) {
        int s = hdec_sym(d, &r);
        if (s < 0) { free(d); return (size_t)-1; }
        if (s == 512) break;
        if (s < 256) { out[o++] = (uint8_t)s; continue; }
        size_t len = (size_t)(s - 256 + MIN_MATCH);
        size_t dist = br_get(&r, WIN_BITS);
        if (dist == 0 || dist > o || o + len > cap) { free(d); return (size_t)-1; }
        for (size_t k = 0; k < len; k++, o++) out[o] = out[o - dist];
    }
    free(d);
    return o == total ? o : (size_t)-1;
}

/* ---------------- LZW (12-bit codes, reset when full) ---------------- */
#define LZW_BITS 12
#define LZW_MAX (1 << LZW_BITS)
#define LZW_CLEAR 256
#define LZW_FIRST 257

static size_t lzw_compress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    /* dictionary as hash table of (prefix code, byte) -> code */
    enum { HSIZE = 8191 };
    int32_t *hkey = malloc(sizeof(int32_t) * HSIZE);
    int16_t *hval = malloc(sizeof(int16_t) * HSIZE);
    bitw w = {out, cap, 0, 0, 0};
    int next = LZW_FIRST;
    for (int i = 0; i < HSIZE; i++) hkey[i] = -1;
    if (n == 0) { free(hkey); free(hval); return 0; }
    int cur = in[0];
    for (size_t i = 1; i < n; i++) {
        int c = in[i];
        int32_t key = (cur << 8) | c;
        uint32_t h = ((uint32_t)key * 2654435761u) % HSIZE;
        while (hkey[h] != -1 && hkey[h] != key) h = (h + 1) % HSIZE;
        if (hkey[h] == key) { cur = hval[h]; continue; }
        bw_put(&w, (uint32_t)cur, LZW_BITS);
        if (next < LZW_MAX) {
            hkey[h] = key; hval[h] = (int16_t)next++;
        } else {
            bw_put(&w, LZW_CLEAR, LZW_BITS);
            for (int k = 0; k < HSIZE; k++) hkey[k] = -1;
            next = LZW_FIRST;
        }
        cur = c;
    }
    bw_put(&w, (uint32_t)cur, LZW_BITS);
    bw_flush(&w);
    free(hkey); free(hval);
    return w.pos;
}

static size_t lzw_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    uint16_t *prefix = malloc(sizeof(uint16_t) * LZW_MAX);
    uint8_t *suffix = malloc(LZW_MAX);
    uint8_t *stack = malloc(LZW_MAX);
    bitr r = {in, n, 0, 0};
    size_t o = 0;
    int next = LZW_FIRST, old = -1;
    uint8_t first = 0;
    size_t ncodes = (n * 8) / LZW_BITS;
    for (size_t ci = 0; ci < ncodes; ci++) {
        int code = (int)br_get(&r, LZW_BITS);
        if (code == LZW_CLEAR) { next = LZW_FIRST; old = -1; continue; }
        int c = code, sp = 0;
        if (old < 0) {
            if (code > 255) { o = (size_t)-1; break; }
            if (o >= cap) break;
            out[o++] = (uint8_t)code; old = code; first = (uint8_t)code;
            continue;
        }
        if (code >= next) { stack[sp++] = first; c = old; }
        while (c > 255) { stack[sp++] = suffix[c]; c = prefix[c]; }
        stack[sp++] = (uint8_t)c;
        first = (uint8_t)c;
        if (o + (size_t)sp > cap) { o = (size_t)-1; break; }
        while (sp) out[o++] = stack[--sp];
        if (next < LZW_MAX) { prefix[next] = (uint16_t)old; suffix[next] = first; next++; }
        old = code;
    }
    free(prefix); free(suffix); free(stack);
    return o;
}

/* ---------------- driver ---------------- */
static int failures;

static void test(const char *name, const uint8_t *data, size_t n) {
    size_t cap = 2 * n + 1024;
    uint8_t *comp = malloc(cap);
    uint8_t *back = malloc(n + 16);
    size_t ntok = 0;
    size_t c1 = lzh_compress(data, n, comp, cap, &ntok);
    uint32_t crc_c1 = crc32(comp, c1);
    size_t d1 = lzh_decompress(comp, c1, back, n + 16);
    int ok1 = d1 == n && memcmp(data, back, n) == 0;
    memset(back, 0, n + 16);
    size_t c2 = lzw_compress(data, n, comp, cap);
    uint32_t crc_c2 = crc32(comp, c2);
    size_t d2 = lzw_decompress(comp, c2, back, n + 16);
    int ok2 = d2 == n && memcmp(data, back, n) == 0;
    printf("%-10s n=%7lu crc=%08x adler=%08x fnv=%016llx\n", name, (unsigned long)n,
           (unsigned)crc32(data, n), (unsigned)adler32(data, n), (unsigned long long)fnv64(data, n));
    printf("  lz77+huff: tokens=%7lu size=%7lu ratio=%6.3f crc=%08x %s\n", (unsigned long)ntok,
           (unsigned long)c1, n ? (double)c1 / (double)n : 0.0, (unsigned)crc_c1, ok1 ? "ok" : "FAIL");
    printf("  lzw:       size=%7lu ratio=%6.3f crc=%08x %s\n", (unsigned long)c2,
           n ? (double)c2 / (double)n : 0.0, (unsigned)crc_c2, ok2 ? "ok" : "FAIL");
    failures += !ok1 + !ok2;
    free(comp);
    free(back);
}

int main(void) {
    crc_init();
    printf("crc32(\"123456789\")=%08x adler32=%08x\n", (unsigned)crc32((const uint8_t *)"123456789", 9),
           (unsigned)adler32((const uint8_t *)"123456789", 9));

    size_t n = 40000;
    uint8_t *buf = malloc(1 << 20);

    rng_state = 0x9E3779B97F4A7C15ull;
    gen_text(buf, n);
    printf("sample: \"%.60s\"\n", (const char *)buf);
    test("text", buf, n);

    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)("abc"[(i / 97) % 3]);
    test("runs", buf, n);

    rng_state = 12345;
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rng();
    test("noise", buf, n);

    test("tiny", (const uint8_t *)"abababababababababab", 20);
    test("one", (const uint8_t *)"x", 1);

    /* ~1 MiB mixed: text blocks, binary ramps, noise */
    size_t big = 1 << 20;
    rng_state = 777;
    for (size_t off = 0; off < big;) {
        uint32_t kind = rng() % 3, len = 1000 + rng() % 20000;
        if (off + len > big) len = (uint32_t)(big - off);
        if (kind == 0) gen_text(buf + off, len);
        else if (kind == 1) for (uint32_t k = 0; k < len; k++) buf[off + k] = (uint8_t)(k * 7 + (k >> 8));
        else for (uint32_t k = 0; k < len; k++) buf[off + k] = (uint8_t)(rng() & 0x3F);
        off += len;
    }
    test("mixed1M", buf, big);

    free(buf);
    printf("%s (%d failures)\n", failures ? "FAILED" : "all round trips ok", failures);
    return failures ? 1 : 0;
}
