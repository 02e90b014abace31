/* regex: compiles regular expressions (literals . [classes] [^neg] * + ? |
 * groups) to a Thompson-style program (char/any/class/split/jmp/match) and
 * searches N*1000 generated log lines (default N=30; smoke: 1) with a Pike VM
 * (NFA simulation, linear time).  Checks: every line's match result equals
 * that of an independent backtracking matcher over the same program, and
 * fixed-string patterns agree with strstr.  Prints "ok <total matches>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { I_CHAR, I_ANY, I_CLASS, I_SPLIT, I_JMP, I_MATCH };
typedef struct { int op, c, x, y; uint8_t set[32]; } Inst;
typedef struct { Inst *code; int n, cap; } Prog;

static int emit(Prog *p, int op) {
    if (p->n == p->cap) { p->cap = p->cap ? p->cap * 2 : 64; p->code = realloc(p->code, sizeof(Inst) * (size_t)p->cap); }
    memset(&p->code[p->n], 0, sizeof(Inst));
    p->code[p->n].op = op;
    return p->n++;
}

/* Recursive-descent compiler: alt := cat ('|' cat)* ; cat := rep* ;
 * rep := atom ('*'|'+'|'?')* ; atom := char | '.' | class | '(' alt ')' */
static const char *re;
static void c_alt(Prog *p);

static void c_atom(Prog *p) {
    if (*re == '(') { re++; c_alt(p); if (*re == ')') re++; return; }
    if (*re == '.') { re++; emit(p, I_ANY); return; }
    if (*re == '[') {
        int i = emit(p, I_CLASS), neg = 0;
        re++;
        if (*re == '^') { neg = 1; re++; }
        while (*re && *re != ']') {
            int lo = (unsigned char)*re++, hi = lo;
            if (*re == '-' && re[1] && re[1] != ']') { re++; hi = (unsigned char)*re++; }
            for (int c = lo; c <= hi; c++) p->code[i].set[c >> 3] |= (uint8_t)(1 << (c & 7));
        }
        if (*re == ']') re++;
        if (neg) for (int k = 0; k < 32; k++) p->code[i].set[k] ^= 0xFF;
        return;
    }
    if (*re == '\\' && re[1]) re++;
    int i = emit(p, I_CHAR);
    p->code[i].c = (unsigned char)*re++;
}

/* Moves instructions [from, n) up by one and inserts a blank at `from`,
 * fixing jump targets >= from. */
static void insert_at(Prog *p, int from) {
    emit(p, I_MATCH);
    memmove(&p->code[from + 1], &p->code[from], sizeof(Inst) * (size_t)(p->n - 1 - from));
    for (int k = from + 1; k < p->n; k++)
        if (p->code[k].op == I_SPLIT || p->code[k].op == I_JMP) {
            if (p->code[k].x >= from) p->code[k].x++;
            if (p->code[k].y >= from) p->code[k].y++;
        }
    memset(&p->code[from], 0, sizeof(Inst));
}

static void c_rep(Prog *p) {
    int start = p->n;
    c_atom(p);
    while (*re == '*' || *re == '+' || *re == '?') {
        char op = *re++;
        if (op == '*') {           /* L1: split L2, L3; L2: e; jmp L1; L3: */
            insert_at(p, start);
            int j = emit(p, I_JMP); p->code[j].x = start;
            p->code[start].op = I_SPLIT; p->code[start].x = start + 1; p->code[start].y = p->n;
        } else if (op == '+') {    /* L1: e; split L1, L2; L2: */
            int s = emit(p, I_SPLIT); p->code[s].x = start; p->code[s].y = p->n;
        } else {                   /* split L1, L2; L1: e; L2: */
            insert_at(p, start);
            p->code[start].op = I_SPLIT; p->code[start].x = start + 1; p->code[start].y = p->n;
        }
    }
}

static void c_cat(Prog *p) { while (*re && *re != '|' && *re != ')') c_rep(p); }

static void c_alt(Prog *p) {
    int start = p->n;
    c_cat(p);
    while (*re == '|') {         /* split L1, L2; L1: e1; jmp L3; L2: e2; L3: */
        re++;
        insert_at(p, start);
        int j = emit(p, I_JMP);
        p->code[start].op = I_SPLIT; p->code[start].x = start + 1; p->code[start].y = p->n;
        c_cat(p);
        p->code[j].x = p->n;
    }
}

static Prog compile(const char *pattern) {
    Prog p = {0};
    re = pattern;
    c_alt(&p);
    emit(&p, I_MATCH);
    return p;
}

static int step_ok(const Inst *in, int c) {
    switch (in->op) {
    case I_CHAR: return in->c == c;
    case I_ANY: return c != '\n';
    case I_CLASS: return in->set[c >> 3] >> (c & 7) & 1;
    }
    return 0;
}

/* Pike VM: unanchored search, returns 1 if any match exists. */
typedef struct { int *pc; int n; } List;
static int *mark; static int gen;

static void addthread(const Prog *p, List *l, int pc) {
    if (mark[pc] == gen) return;
    mark[pc] = gen;
    const Inst *in = &p->code[pc];
    if (in->op == I_JMP) { addthread(p, l, in->x); return; }
    if (in->op == I_SPLIT) { addthread(p, l, in->x); addthread(p, l, in->y); return; }
    l->pc[l->n++] = pc;
}

static int pike(const Prog *p, const char *s, size_t len, int *buf1, int *buf2) {
    List cur = {buf1, 0}, nxt = {buf2, 0};
    gen++;
    addthread(p, &cur, 0);
    for (size_t i = 0;; i++) {
        gen++;
        nxt.n = 0;
        for (int k = 0; k < cur.n; k++) {
            const Inst *in = &p->code[cur.pc[k]];
            if (in->op == I_MATCH) return 1;
            if (i < len && step_ok(in, (unsigned char)s[i])) addthread(p, &nxt, cur.pc[k] + 1);
        }
        if (i >= len) return 0;
        addthread(p, &nxt, 0);   /* unanchored: a new thread at every position */
        List t = cur; cur = nxt; nxt = t;
    }
}

/* Backtracking over the same program (with a visited set to stay polynomial). */
static uint8_t *visited; static size_t vlen;
static int bt(const Prog *p, int pc, const char *s, size_t len, size_t i) {
    for (;;) {
        size_t key = (size_t)pc * (len + 1) + i;
        if (visited[key >> 3] >> (key & 7) & 1) return 0;
        visited[key >> 3] |= (uint8_t)(1 << (key & 7));
        const Inst *in = &p->code[pc];
        switch (in->op) {
        case I_MATCH: return 1;
        case I_JMP: pc = in->x; continue;
        case I_SPLIT: if (bt(p, in->x, s, len, i)) return 1; pc = in->y; continue;
        default:
            if (i >= len || !step_ok(in, (unsigned char)s[i])) return 0;
            pc++; i++;
        }
    }
}
static int backtrack(const Prog *p, const char *s, size_t len) {
    size_t need = ((size_t)p->n * (len + 1) + 7) / 8;
    if (need > vlen) { vlen = need; visited = realloc(visited, vlen); }
    memset(visited, 0, need);
    for (size_t st = 0; st <= len; st++) if (bt(p, 0, s, len, st)) return 1;
    return 0;
}

static uint64_t rng = 7;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 30;
    if (n < 1) n = 1;
    long nlines = n * 1000;
    static const char *levels[] = {"INFO", "WARN", "ERROR", "DEBUG"};
    static const char *words[] = {"request", "served", "user", "login", "failed", "timeout", "connection",
                                  "reset", "cache", "miss", "hit", "disk", "full", "retry", "ok", "GET", "POST"};
    static const char *patterns[] = {
        "ERROR.*(timeout|reset)",
        "user [a-z]+[0-9][0-9]+ (login|logout)",
        "[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+",
        "(GET|POST) /[a-z0-9/]*\\?id=[0-9]*7 ",
        "x*y*z*q",
        "(a|b|c|d|e)(f|g|h|i)+(j|k|l)?m",
        "(hit|miss) .*disk.*(full|retry)",
        "[^ ]+@[a-z]+\\.(com|org)",
    };
    static const char *fixed[] = {"connection reset", "POST /api", "retry ok"};
    const int npat = sizeof patterns / sizeof *patterns, nfix = sizeof fixed / sizeof *fixed;
    Prog progs[8];
    int maxn = 0;
    for (int k = 0; k < npat; k++) { progs[k] = compile(patterns[k]); if (progs[k].n > maxn) maxn = progs[k].n; }
    Prog fprogs[3];
    for (int k = 0; k < nfix; k++) { fprogs[k] = compile(fixed[k]); if (fprogs[k].n > maxn) maxn = fprogs[k].n; }
    mark = calloc((size_t)maxn, sizeof(int));
    int *b1 = malloc(sizeof(int) * (size_t)maxn), *b2 = malloc(sizeof(int) * (size_t)maxn);

    uint64_t counts[8] = {0}, fcounts[3] = {0}, total = 0;
    char line[512];
    for (long ln = 0; ln < nlines; ln++) {
        /* random values are drawn into v[] first: the evaluation order of
         * function arguments is unspecified (gcc and clang differ) */
        uint32_t v[8];
        for (int k = 0; k < 8; k++) v[k] = rnd();
        int len = snprintf(line, sizeof line, "2024-01-%02u %02u:%02u:%02u %s ", v[0] % 28 + 1, v[1] % 24,
                           v[2] % 60, v[3] % 60, levels[v[4] % 4]);
        int nw = (int)(rnd() % 12) + 3;
        for (int w = 0; w < nw && len < 400; w++) {
            uint32_t r = rnd() % 10;
            for (int k = 0; k < 8; k++) v[k] = rnd();
            if (r == 0) len += snprintf(line + len, sizeof line - (size_t)len, "%u.%u.%u.%u ", v[0] % 256, v[1] % 256, v[2] % 256, v[3] % 256);
            else if (r == 1) len += snprintf(line + len, sizeof line - (size_t)len, "%s /api/v%u/items?id=%u ", v[0] % 2 ? "GET" : "POST", v[1] % 3, v[2] % 1000);
            else if (r == 2) len += snprintf(line + len, sizeof line - (size_t)len, "user u%c%c%u %s ", 'a' + v[0] % 26, 'a' + v[1] % 26, v[2] % 200, v[3] % 2 ? "login" : "logout");
            else if (r == 3) len += snprintf(line + len, sizeof line - (size_t)len, "%c%c%c%c%c%cm%s.%s ", "abcdex"[v[0] % 6], "fghiy"[v[1] % 5], "fghiy"[v[2] % 5], "jklz"[v[3] % 4], "jklm"[v[4] % 4], "mxyz"[v[5] % 4], v[6] % 3 ? "" : "@host", v[7] % 2 ? "com" : "net");
            else len += snprintf(line + len, sizeof line - (size_t)len, "%s ", words[v[0] % (sizeof words / sizeof *words)]);
        }
        for (int k = 0; k < npat; k++) {
            int a = pike(&progs[k], line, (size_t)len, b1, b2);
            int b = backtrack(&progs[k], line, (size_t)len);
            if (a != b) { printf("FAIL pattern %s on line \"%s\": pike %d backtrack %d\n", patterns[k], line, a, b); return 1; }
            counts[k] += (uint64_t)a;
        }
        for (int k = 0; k < nfix; k++) {
            int a = pike(&fprogs[k], line, (size_t)len, b1, b2);
            int b = strstr(line, fixed[k]) != NULL;
            if (a != b) { printf("FAIL fixed %s on line \"%s\": pike %d strstr %d\n", fixed[k], line, a, b); return 1; }
            fcounts[k] += (uint64_t)a;
        }
    }
    for (int k = 0; k < npat; k++) {
        if (counts[k] == 0 || counts[k] == (uint64_t)nlines) { printf("FAIL pattern %s matched %llu of %ld lines\n", patterns[k], (unsigned long long)counts[k], nlines); return 1; }
        total = total * 31 + counts[k];
    }
    for (int k = 0; k < nfix; k++) total = total * 31 + fcounts[k];
    printf("ok %llu\n", (unsigned long long)total);
    return 0;
}
