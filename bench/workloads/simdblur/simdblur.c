/* simdblur: 128-bit SIMD image kernels written with GCC/Clang vector
 * extensions, so the same source is SSE code natively (gcc -O2) and wasm
 * SIMD (clang -msimd128, see wasm-cflags) in the module.
 *
 * Each of N rounds (default N=1500; smoke: 1) runs over a 512x512 float
 * image: a separable [1 2 1]/4 blur (rows, then columns), a contrast
 * curve with clamping and lane compares, and an i32x4 hash of the
 * quantized result (shifts, xors, multiplies); then new noise in one row.
 * Only adds, multiplies and compares: results are bit-identical on every
 * engine.  Checks: the image
 * mean stays in (0, 1) and every pixel is finite.  Prints
 * "ok <hash hex> <mean, 6 decimals>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 512
#define H 512

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef uint32_t v4u __attribute__((vector_size(16)));

static float img[H][W] __attribute__((aligned(16)));
static float tmp[H][W] __attribute__((aligned(16)));

static v4f load(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }
static void store(float *p, v4f v) { memcpy(p, &v, sizeof v); }

/* Horizontal pass: out[x] = (in[x-1] + 2 in[x] + in[x+1]) / 4, edges clamped. */
static void blur_rows(float (*in)[W], float (*out)[W]) {
    const v4f quarter = {0.25f, 0.25f, 0.25f, 0.25f}, two = {2, 2, 2, 2};
    for (int y = 0; y < H; y++) {
        float *r = in[y];
        out[y][0] = (r[0] * 3 + r[1]) * 0.25f;
        for (int x = 4; x < W - 4; x += 4) {
            v4f l = load(r + x - 1), c = load(r + x), rt = load(r + x + 1);
            store(out[y] + x, (l + c * two + rt) * quarter);
        }
        for (int x = 1; x < 4; x++) out[y][x] = (r[x - 1] + 2 * r[x] + r[x + 1]) * 0.25f;
        for (int x = W - 4; x < W - 1; x++) out[y][x] = (r[x - 1] + 2 * r[x] + r[x + 1]) * 0.25f;
        out[y][W - 1] = (r[W - 2] + r[W - 1] * 3) * 0.25f;
    }
}

/* Vertical pass, whole rows of vectors at a time. */
static void blur_cols(float (*in)[W], float (*out)[W]) {
    const v4f quarter = {0.25f, 0.25f, 0.25f, 0.25f}, two = {2, 2, 2, 2};
    for (int y = 0; y < H; y++) {
        const float *up = in[y > 0 ? y - 1 : 0], *mid = in[y], *dn = in[y < H - 1 ? y + 1 : H - 1];
        for (int x = 0; x < W; x += 4)
            store(out[y] + x, (load(up + x) + load(mid + x) * two + load(dn + x)) * quarter);
    }
}

/* Contrast curve: v (1.1 - 0.2 v) pulls values toward 0.5, then clamp to
 * [0, 1] with lane masks. */
static void curve(float (*im)[W]) {
    const v4f one = {1, 1, 1, 1}, zero = {0, 0, 0, 0};
    const v4f k1 = {1.1f, 1.1f, 1.1f, 1.1f}, k2 = {0.2f, 0.2f, 0.2f, 0.2f};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x += 4) {
            v4f v = load(im[y] + x);
            v = v * (k1 - k2 * v);
            v4i hi = v > one, lo = v < zero;
            v = (v4f)(((v4i)v & ~hi) | ((v4i)one & hi));
            v = (v4f)((v4i)v & ~lo);
            store(im[y] + x, v);
        }
}

/* Quantize to 16 bits and mix into four 32-bit lanes. */
static v4u hash(float (*im)[W], v4u h) {
    const v4f scale = {65535, 65535, 65535, 65535};
    const v4u mul = {0x9E3779B1u, 0x85EBCA77u, 0xC2B2AE3Du, 0x27D4EB2Fu};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x += 4) {
            v4f q = load(im[y] + x) * scale;
            v4u v = __builtin_convertvector(q, v4u);
            h ^= v;
            h = (h << 5 | h >> 27) * mul;
        }
    return h;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 1500;
    uint32_t seed = 12345;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            seed = seed * 1103515245u + 12345u;
            img[y][x] = (float)((seed >> 8) & 0xFFFF) / 65536.0f;
        }
    v4u h = {1, 2, 3, 4};
    for (long r = 0; r < rounds; r++) {
        blur_rows(img, tmp);
        blur_cols(tmp, img);
        curve(img);
        h = hash(img, h);
        /* New noise in one row per round keeps the image from flattening. */
        float *row = img[(r * 7) % H];
        for (int x = 0; x < W; x++) {
            seed = seed * 1103515245u + 12345u;
            row[x] = (float)((seed >> 8) & 0xFFFF) / 65536.0f;
        }
    }
    double sum = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float v = img[y][x];
            if (!(v >= 0.0f && v <= 1.0f)) { printf("FAIL pixel %d,%d = %g\n", y, x, v); return 1; }
            sum += v;
        }
    double mean = sum / (W * H);
    if (!(mean > 0 && mean < 1)) { printf("FAIL mean %g\n", mean); return 1; }
    printf("ok %08x%08x%08x%08x %.6f\n", h[0], h[1], h[2], h[3], mean);
    return 0;
}
