/* sha256: SHA-256 over N MiB of pseudo-random data (default N=64; smoke: 1).
 * Checks: FIPS 180-2 test vectors; the buffer hashed in one call equals the
 * buffer hashed in irregular chunks; for N=1 the digest is a known answer.
 * Prints "ok <first 16 hex digits of the digest>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint32_t h[8]; uint64_t len; uint8_t buf[64]; size_t n; } sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4*i] << 24 | (uint32_t)p[4*i+1] << 16 | (uint32_t)p[4*i+2] << 8 | p[4*i+3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i-15], 7) ^ ROR(w[i-15], 18) ^ (w[i-15] >> 3);
        uint32_t s1 = ROR(w[i-2], 17) ^ ROR(w[i-2], 19) ^ (w[i-2] >> 10);
        w[i] = w[i-16] + s0 + w[i-7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[i] + w[i];
        uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + mj;
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha_init(sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,
                                   0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
    memcpy(c->h, iv, sizeof iv); c->len = 0; c->n = 0;
}

static void sha_update(sha256_ctx *c, const uint8_t *p, size_t len) {
    c->len += len;
    if (c->n) {
        while (len && c->n < 64) { c->buf[c->n++] = *p++; len--; }
        if (c->n < 64) return;
        block(c->h, c->buf); c->n = 0;
    }
    while (len >= 64) { block(c->h, p); p += 64; len -= 64; }
    while (len) { c->buf[c->n++] = *p++; len--; }
}

static void sha_final(sha256_ctx *c, uint8_t out[32]) {
    uint64_t bits = c->len * 8;
    uint8_t pad = 0x80, z = 0, lb[8];
    sha_update(c, &pad, 1);
    while (c->n != 56) sha_update(c, &z, 1);
    for (int i = 0; i < 8; i++) lb[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(c, lb, 8);
    for (int i = 0; i < 8; i++) {
        out[4*i] = c->h[i] >> 24; out[4*i+1] = c->h[i] >> 16; out[4*i+2] = c->h[i] >> 8; out[4*i+3] = c->h[i];
    }
}

static void hex(const uint8_t *d, int n, char *out) {
    for (int i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static int kat(const char *msg, size_t reps, const char *want) {
    sha256_ctx c; uint8_t d[32]; char h[65];
    sha_init(&c);
    for (size_t i = 0; i < reps; i++) sha_update(&c, (const uint8_t *)msg, strlen(msg));
    sha_final(&c, d); hex(d, 32, h);
    if (strcmp(h, want)) { printf("FAIL test vector \"%s\"x%zu: %s\n", msg, reps, h); return 0; }
    return 1;
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 64;
    if (mib < 1) mib = 1;
    if (!kat("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") ||
        !kat("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") ||
        !kat("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") ||
        !kat("a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"))
        return 1;

    size_t len = (size_t)mib << 20;
    uint8_t *buf = malloc(len);
    if (!buf) { printf("FAIL malloc\n"); return 1; }
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = (uint8_t)(x >> 32);
    }
    sha256_ctx c; uint8_t d1[32], d2[32];
    sha_init(&c); sha_update(&c, buf, len); sha_final(&c, d1);
    sha_init(&c);
    size_t off = 0, step = 1;
    while (off < len) {
        size_t n = step < len - off ? step : len - off;
        sha_update(&c, buf + off, n);
        off += n; step = (step * 7 + 3) % 4099;
    }
    sha_final(&c, d2);
    free(buf);
    char h[65]; hex(d1, 32, h);
    if (memcmp(d1, d2, 32)) { printf("FAIL one-shot and chunked digests differ\n"); return 1; }
    if (mib == 1 && strcmp(h, "3b82f1bd769f6ebb9f3a007d5eb4a8b39123c0b1d8c4ab3bd45efbe06760ba4e")) {
        printf("FAIL smoke digest %s\n", h); return 1;
    }
    h[16] = 0;
    printf("ok %s\n", h);
    return 0;
}
