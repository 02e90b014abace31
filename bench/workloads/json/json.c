/* json: generates a JSON document of N*1000 records (default N=150; smoke: 1),
 * parses it into a tree (recursive descent, escapes incl. \uXXXX, numbers),
 * walks the tree and re-serialises it.  Checks: statistics gathered while
 * generating (record count, sum of ids, sum of scores, number of true flags,
 * total decoded string bytes) equal those computed from the parsed tree, and
 * the serialised tree parses again to the same statistics.
 * Prints "ok <records> <sum of ids> <string bytes>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct J J;
struct J {
    int type;
    double num;
    char *str; size_t len;     /* J_STR; also the key of object members */
    char *key; size_t klen;
    J *child, *next;           /* J_ARR / J_OBJ members, linked */
};

typedef struct { const char *p, *end; int err; } P;

static void ws(P *p) { while (p->p < p->end && (*p->p == ' ' || *p->p == '\n' || *p->p == '\t' || *p->p == '\r')) p->p++; }

static J *newj(int t) { J *j = calloc(1, sizeof *j); j->type = t; return j; }

static int hexv(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *pstring(P *p, size_t *len) {
    if (*p->p != '"') { p->err = 1; return NULL; }
    p->p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    while (p->p < p->end && *p->p != '"') {
        unsigned c = (unsigned char)*p->p++;
        if (n + 4 >= cap) { cap *= 2; s = realloc(s, cap); }
        if (c == '\\') {
            char e = *p->p++;
            switch (e) {
            case 'n': s[n++] = '\n'; break;
            case 't': s[n++] = '\t'; break;
            case 'r': s[n++] = '\r'; break;
            case 'b': s[n++] = '\b'; break;
            case 'f': s[n++] = '\f'; break;
            case '/': s[n++] = '/'; break;
            case '\\': s[n++] = '\\'; break;
            case '"': s[n++] = '"'; break;
            case 'u': {
                unsigned u = 0;
                for (int k = 0; k < 4; k++) { int h = hexv(*p->p++); if (h < 0) { p->err = 1; return s; } u = u * 16 + (unsigned)h; }
                if (u < 0x80) s[n++] = (char)u;
                else if (u < 0x800) { s[n++] = (char)(0xC0 | u >> 6); s[n++] = (char)(0x80 | (u & 0x3F)); }
                else { s[n++] = (char)(0xE0 | u >> 12); s[n++] = (char)(0x80 | ((u >> 6) & 0x3F)); s[n++] = (char)(0x80 | (u & 0x3F)); }
                break;
            }
            default: p->err = 1; return s;
            }
        } else s[n++] = (char)c;
    }
    if (p->p >= p->end) { p->err = 1; return s; }
    p->p++;
    s[n] = 0; *len = n;
    return s;
}

static double pnumber(P *p) {
    int neg = 0; double v = 0;
    if (*p->p == '-') { neg = 1; p->p++; }
    if (*p->p < '0' || *p->p > '9') { p->err = 1; return 0; }
    while (*p->p >= '0' && *p->p <= '9') v = v * 10 + (*p->p++ - '0');
    if (*p->p == '.') {
        p->p++; double scale = 1;
        /* digits are accumulated as an integer then divided once: exact for
         * the short fractions generated here */
        double f = 0;
        while (*p->p >= '0' && *p->p <= '9') { f = f * 10 + (*p->p++ - '0'); scale *= 10; }
        v += f / scale;
    }
    if (*p->p == 'e' || *p->p == 'E') {
        p->p++; int es = 1, e = 0;
        if (*p->p == '-') { es = -1; p->p++; } else if (*p->p == '+') p->p++;
        while (*p->p >= '0' && *p->p <= '9') e = e * 10 + (*p->p++ - '0');
        for (int k = 0; k < e; k++) v = es > 0 ? v * 10 : v / 10;
    }
    return neg ? -v : v;
}

static J *pvalue(P *p, int depth) {
    ws(p);
    if (p->p >= p->end || depth > 200) { p->err = 1; return NULL; }
    char c = *p->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        J *j = newj(obj ? J_OBJ : J_ARR), **tail = &j->child;
        p->p++; ws(p);
        if (*p->p == (obj ? '}' : ']')) { p->p++; return j; }
        for (;;) {
            char *k = NULL; size_t kl = 0;
            if (obj) {
                ws(p); k = pstring(p, &kl); if (p->err) return j;
                ws(p); if (*p->p != ':') { p->err = 1; return j; } p->p++;
            }
            J *v = pvalue(p, depth + 1);
            if (p->err) return j;
            v->key = k; v->klen = kl;
            *tail = v; tail = &v->next;
            ws(p);
            if (*p->p == ',') { p->p++; continue; }
            if (*p->p == (obj ? '}' : ']')) { p->p++; return j; }
            p->err = 1; return j;
        }
    }
    if (c == '"') { J *j = newj(J_STR); j->str = pstring(p, &j->len); return j; }
    if (!strncmp(p->p, "true", 4)) { p->p += 4; return newj(J_TRUE); }
    if (!strncmp(p->p, "false", 5)) { p->p += 5; return newj(J_FALSE); }
    if (!strncmp(p->p, "null", 4)) { p->p += 4; return newj(J_NULL); }
    J *j = newj(J_NUM); j->num = pnumber(p); return j;
}

static void jfree(J *j) {
    while (j) {
        J *n = j->next;
        jfree(j->child);
        free(j->str); free(j->key); free(j);
        j = n;
    }
}

typedef struct { uint64_t records, idsum, trues, strbytes; double scoresum; } Stats;

static int keyis(J *j, const char *k) { return j->key && j->klen == strlen(k) && !memcmp(j->key, k, j->klen); }

static void walk(J *j, Stats *s, int in_record) {
    for (J *c = j->child; c; c = c->next) {
        if (c->type == J_STR) s->strbytes += c->len;
        if (c->type == J_TRUE) s->trues++;
        if (in_record && keyis(c, "id")) s->idsum += (uint64_t)c->num;
        if (in_record && keyis(c, "score")) s->scoresum += c->num;
        if (c->type == J_OBJ || c->type == J_ARR) {
            int rec = j->type == J_ARR && keyis(j, "records") && c->type == J_OBJ;
            if (rec) s->records++;
            walk(c, s, rec);
        }
    }
}

typedef struct { char *b; size_t n, cap; } Buf;
static void put(Buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) { while (b->n + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 4096; b->b = realloc(b->b, b->cap); }
    memcpy(b->b + b->n, s, n); b->n += n; b->b[b->n] = 0;
}
static void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }
static void putstr(Buf *b, const char *s, size_t n) {
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') put(b, "\\\"", 2);
        else if (c == '\\') put(b, "\\\\", 2);
        else if (c == '\n') put(b, "\\n", 2);
        else if (c == '\t') put(b, "\\t", 2);
        else if (c < 0x20) { char t[8]; snprintf(t, sizeof t, "\\u%04x", c); put(b, t, 6); }
        else put(b, s + i, 1);
    }
    put(b, "\"", 1);
}
static void serialise(J *j, Buf *b) {
    char t[64];
    switch (j->type) {
    case J_NULL: puts_(b, "null"); break;
    case J_TRUE: puts_(b, "true"); break;
    case J_FALSE: puts_(b, "false"); break;
    case J_NUM:
        if (j->num == (double)(int64_t)j->num) snprintf(t, sizeof t, "%lld", (long long)j->num);
        else snprintf(t, sizeof t, "%.2f", j->num);
        puts_(b, t); break;
    case J_STR: putstr(b, j->str, j->len); break;
    default:
        put(b, j->type == J_OBJ ? "{" : "[", 1);
        for (J *c = j->child; c; c = c->next) {
            if (c != j->child) put(b, ",", 1);
            if (j->type == J_OBJ) { putstr(b, c->key, c->klen); put(b, ":", 1); }
            serialise(c, b);
        }
        put(b, j->type == J_OBJ ? "}" : "]", 1);
    }
}

static uint64_t rng = 42;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

/* JSON source text of the names (already escaped) and their decoded byte lengths */
static const char *names[] = {"alpha", "beta", "gamma", "delta \\\"quoted\\\"", "eps\\\\ilon", "zeta\\nline",
                              "eta\\ttab", "theta", "caf\\u00e9", "\\u4e2d\\u6587", "iota\\/kappa", "lambda"};
static const int dec_len[] = {5, 4, 5, 14, 8, 9, 7, 5, 5, 6, 10, 6};

static int check(const Stats *a, const Stats *b, const char *what) {
    if (a->records != b->records || a->idsum != b->idsum || a->trues != b->trues ||
        a->strbytes != b->strbytes || a->scoresum != b->scoresum) {
        printf("FAIL %s: records %llu/%llu ids %llu/%llu trues %llu/%llu strbytes %llu/%llu score %.2f/%.2f\n", what,
               (unsigned long long)a->records, (unsigned long long)b->records,
               (unsigned long long)a->idsum, (unsigned long long)b->idsum,
               (unsigned long long)a->trues, (unsigned long long)b->trues,
               (unsigned long long)a->strbytes, (unsigned long long)b->strbytes, a->scoresum, b->scoresum);
        return 0;
    }
    return 1;
}

static J *parse(Buf *b) {
    P p = {b->b, b->b + b->n, 0};
    J *root = pvalue(&p, 0);
    ws(&p);
    if (p.err || p.p != p.end) { printf("FAIL parse error at offset %ld\n", (long)(p.p - b->b)); exit(1); }
    return root;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 150;
    if (n < 1) n = 1;
    long records = n * 1000;
    Buf doc = {0};
    Stats want = {0};
    char t[128];
    puts_(&doc, "{\n  \"generator\": \"waot bench\",\n  \"version\": 1.5,\n  \"records\": [\n");
    want.strbytes += 10; /* "waot bench" */
    for (long i = 0; i < records; i++) {
        uint32_t r = rnd();
        int id = (int)(r % 1000000);
        int nm = (int)(rnd() % 12);
        double score = (double)(rnd() % 400000) / 4.0 - 50000.0;
        int active = r >> 20 & 1;
        want.records++; want.idsum += (uint64_t)id; want.scoresum += score; want.trues += (uint64_t)active;
        snprintf(t, sizeof t, "    {\"id\": %d, \"name\": \"%s\", \"score\": %.2f, \"active\": %s, \"tags\": [",
                 id, names[nm], score, active ? "true" : "false");
        puts_(&doc, t);
        want.strbytes += (uint64_t)dec_len[nm];
        int ntags = (int)(rnd() % 5);
        for (int k = 0; k < ntags; k++) {
            snprintf(t, sizeof t, "%s\"t%u\"", k ? ", " : "", rnd() % 1000);
            puts_(&doc, t);
            want.strbytes += strlen(t) - (k ? 4 : 2);
        }
        int px = (int)(rnd() % 2000) - 1000, py = (int)(rnd() % 100);
        snprintf(t, sizeof t, "], \"pos\": {\"x\": %d, \"y\": %de-1, \"z\": null}}%s\n",
                 px, py, i + 1 < records ? "," : "");
        puts_(&doc, t);
    }
    puts_(&doc, "  ],\n  \"ok\": true\n}\n");
    want.trues++;

    J *root = parse(&doc);
    Stats got = {0};
    walk(root, &got, 0);
    if (!check(&want, &got, "parsed tree")) return 1;
    Buf out = {0};
    serialise(root, &out);
    jfree(root);
    root = parse(&out);
    Stats again = {0};
    walk(root, &again, 0);
    if (!check(&want, &again, "re-parsed tree")) return 1;
    jfree(root);
    printf("ok %llu %llu %llu\n", (unsigned long long)got.records, (unsigned long long)got.idsum,
           (unsigned long long)got.strbytes);
    free(doc.b); free(out.b);
    return 0;
}
