/* Randomness: getentropy (random_get) fills exactly the requested length,
 * two draws differ, 256 is the maximum length (EIO above); arc4random,
 * arc4random_buf, arc4random_uniform. Statistical checks use bounds that a
 * working generator fails with probability < 1e-20. Prints only results. */
#include "common.h"

#include <stdint.h>
#include <unistd.h>

static int popcount8(unsigned char c) {
    int n = 0;
    while (c) { n += c & 1; c >>= 1; }
    return n;
}

int main(void) {
    unsigned char a[300], b[256];

    /* getentropy writes exactly len bytes */
    memset(a, 0xAA, sizeof a);
    CHECK(getentropy(a, 16) == 0, "getentropy 16 bytes");
    int untouched = 1;
    for (int i = 16; i < 300; i++) untouched &= a[i] == 0xAA;
    CHECK(untouched, "bytes after the 16 untouched");
    CHECK(getentropy(a, 0) == 0, "getentropy 0 bytes");

    CHECK(getentropy(a, 256) == 0, "getentropy 256 bytes");
    CHECK(getentropy(b, 256) == 0, "getentropy 256 bytes again");
    CHECK(memcmp(a, b, 256) != 0, "two draws differ");
    int ones = 0, distinct = 0;
    int seen[256] = {0};
    for (int i = 0; i < 256; i++) {
        ones += popcount8(a[i]);
        if (!seen[a[i]]++) distinct++;
    }
    /* 2048 bits: mean 1024, sd 22.6; 10 sd either side */
    CHECK(ones > 800 && ones < 1248, "about half the bits set");
    CHECK(distinct > 100, "more than 100 distinct byte values in 256");
    EXPECT_ERR(getentropy(a, 257), EIO, "getentropy 257 bytes");

    /* arc4random family */
    uint32_t x = arc4random(), y = arc4random(), z = arc4random();
    CHECK(!(x == y && y == z), "arc4random: three draws not all equal");
    uint32_t or_ = 0, and_ = 0xFFFFFFFFu;
    for (int i = 0; i < 1000; i++) {
        uint32_t v = arc4random();
        or_ |= v;
        and_ &= v;
    }
    CHECK(or_ == 0xFFFFFFFFu && and_ == 0, "arc4random: every bit both set and clear in 1000 draws");
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    arc4random_buf(a, 100);
    arc4random_buf(b, 100);
    int zero_tail = 1;
    for (int i = 100; i < 300; i++) zero_tail &= a[i] == 0;
    CHECK(memcmp(a, b, 100) != 0 && zero_tail, "arc4random_buf fills exactly 100 bytes, draws differ");
    int hist[10] = {0}, out_of_range = 0;
    for (int i = 0; i < 10000; i++) {
        uint32_t v = arc4random_uniform(10);
        if (v >= 10) out_of_range++;
        else hist[v]++;
    }
    int balanced = 1;
    for (int i = 0; i < 10; i++) balanced &= hist[i] > 800 && hist[i] < 1200;
    CHECK(out_of_range == 0, "arc4random_uniform(10) < 10");
    CHECK(balanced, "arc4random_uniform(10): each value 800..1200 times in 10000");
    CHECK(arc4random_uniform(1) == 0, "arc4random_uniform(1) == 0");
    return finish("random");
}
