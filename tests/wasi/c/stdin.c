/* Reads all of stdin with read(0, ...) in chunks of varying size until EOF,
 * then prints byte/line/word counts, the longest line, CRC-32 and FNV-1a-64
 * of the data, and the first and last lines. Also checks that read at EOF
 * keeps returning 0. Run with c/stdin.in piped in. */
#include "common.h"

#include <stdint.h>
#include <unistd.h>

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

int main(void) {
    static char data[1 << 20];
    size_t len = 0;
    const size_t sizes[] = {1, 7, 64, 4096, 100, 65536, 3};
    int reads = 0;
    crc_init();
    for (;;) {
        size_t want = sizes[reads % 7];
        if (want > sizeof data - len) want = sizeof data - len;
        if (want == 0) break;
        ssize_t n = read(0, data + len, want);
        if (n < 0) {
            printf("FAIL read (errno %s)\n", errname(errno));
            return 1;
        }
        if (n == 0) break;
        len += (size_t)n;
        reads++;
    }
    char extra;
    CHECK(read(0, &extra, 1) == 0, "read after EOF returns 0");
    CHECK(read(0, &extra, 1) == 0, "and again");

    uint32_t crc = 0xFFFFFFFFu;
    uint64_t fnv = 0xcbf29ce484222325ull;
    size_t lines = 0, words = 0, longest = 0, cur = 0, crlf = 0;
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        crc = crc_table[(crc ^ c) & 0xFF] ^ (crc >> 8);
        fnv = (fnv ^ c) * 0x100000001b3ull;
        if (c == '\n') {
            lines++;
            if (i > 0 && data[i - 1] == '\r') crlf++;
            if (cur > longest) longest = cur;
            cur = 0;
        } else {
            cur++;
        }
        int space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) words++;
        in_word = !space;
    }
    if (cur > longest) longest = cur;
    crc ^= 0xFFFFFFFFu;
    printf("bytes %zu\n", len);
    printf("newlines %zu (crlf %zu)\n", lines, crlf);
    printf("unterminated last line: %s\n", len && data[len - 1] != '\n' ? "yes" : "no");
    printf("words %zu\n", words);
    printf("longest line %zu\n", longest);
    printf("crc32 %08x\n", (unsigned)crc);
    printf("fnv1a64 %016llx\n", (unsigned long long)fnv);
    size_t first = 0;
    while (first < len && data[first] != '\n') first++;
    printf("first line: %.*s\n", (int)first, data);
    size_t last = len;
    while (last > 0 && data[last - 1] != '\n') last--;
    printf("last line: %.*s\n", (int)(len - last), data + last);
    return finish("stdin");
}
