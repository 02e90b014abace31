/*
 * interp.c - a tiny language compiled to bytecode and run on a stack VM.
 *
 * The language:  statements  `x = expr;`  `print expr;`  `if (e) {..} else {..}`
 * `while (e) {..}`; expressions with + - * / % < <= > >= == != && || ! unary -,
 * integer variables a..z and one global array `m[expr]` (4096 cells).
 * Built-in scripts compute primes, fibonacci numbers, gcds, a sorted array and
 * collatz lengths.  Output is deterministic and independent of word size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t val;

enum op {
    OP_PUSH, OP_LOAD, OP_STORE, OP_ALOAD, OP_ASTORE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
    OP_NOT, OP_NEG, OP_JMP, OP_JZ, OP_JNZ, OP_DUP, OP_POP, OP_PRINT, OP_HALT
};

static const char *op_names[] = {
    "push", "load", "store", "aload", "astore", "add", "sub", "mul", "div", "mod",
    "lt", "le", "gt", "ge", "eq", "ne", "not", "neg", "jmp", "jz", "jnz", "dup",
    "pop", "print", "halt"
};

#define MAX_CODE 8192
static int32_t code[MAX_CODE];
static int ncode;

static const char *src;
static int pos;
static int line;

/* ---- lexer ---- */
enum tok { T_EOF, T_NUM, T_ID, T_KW_PRINT, T_KW_IF, T_KW_ELSE, T_KW_WHILE, T_PUNCT };
static enum tok tk;
static val tnum;
static char tid[32];
static char tp[3];

static void die(const char *msg) {
    printf("error at line %d: %s\n", line, msg);
    exit(1);
}

static void next(void) {
    for (;;) {
        while (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '\n' || src[pos] == '\r') {
            if (src[pos] == '\n') line++;
            pos++;
        }
        if (src[pos] == '#') {
            while (src[pos] && src[pos] != '\n') pos++;
            continue;
        }
        break;
    }
    char c = src[pos];
    if (!c) { tk = T_EOF; return; }
    if (c >= '0' && c <= '9') {
        tnum = 0;
        while (src[pos] >= '0' && src[pos] <= '9') tnum = tnum * 10 + (src[pos++] - '0');
        tk = T_NUM;
        return;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        int n = 0;
        while ((src[pos] >= 'a' && src[pos] <= 'z') || (src[pos] >= 'A' && src[pos] <= 'Z')) {
            if (n < 31) tid[n++] = src[pos];
            pos++;
        }
        tid[n] = 0;
        if (!strcmp(tid, "print")) tk = T_KW_PRINT;
        else if (!strcmp(tid, "if")) tk = T_KW_IF;
        else if (!strcmp(tid, "else")) tk = T_KW_ELSE;
        else if (!strcmp(tid, "while")) tk = T_KW_WHILE;
        else tk = T_ID;
        return;
    }
    static const char *two[] = {"<=", ">=", "==", "!=", "&&", "||", 0};
    for (int i = 0; two[i]; i++) {
        if (src[pos] == two[i][0] && src[pos + 1] == two[i][1]) {
            tp[0] = two[i][0]; tp[1] = two[i][1]; tp[2] = 0;
            pos += 2;
            tk = T_PUNCT;
            return;
        }
    }
    tp[0] = c; tp[1] = 0;
    pos++;
    tk = T_PUNCT;
}

static int is(const char *p) { return tk == T_PUNCT && !strcmp(tp, p); }
static void expect(const char *p) {
    if (!is(p)) { char b[64]; snprintf(b, sizeof b, "expected '%s'", p); die(b); }
    next();
}

static void emit(int32_t x) {
    if (ncode >= MAX_CODE) die("code too large");
    code[ncode++] = x;
}

/* ---- parser / code generator (precedence climbing) ---- */
static void expr(void);

static int var_index(void) {
    if (tk != T_ID || strlen(tid) != 1 || tid[0] < 'a' || tid[0] > 'z') die("bad variable");
    return tid[0] - 'a';
}

static void primary(void) {
    if (tk == T_NUM) { emit(OP_PUSH); emit((int32_t)tnum); next(); return; }
    if (tk == T_ID && !strcmp(tid, "m")) {
        next(); expect("["); expr(); expect("]");
        emit(OP_ALOAD);
        return;
    }
    if (tk == T_ID) { int v = var_index(); next(); emit(OP_LOAD); emit(v); return; }
    if (is("(")) { next(); expr(); expect(")"); return; }
    if (is("-")) { next(); primary(); emit(OP_NEG); return; }
    if (is("!")) { next(); primary(); emit(OP_NOT); return; }
    die("unexpected token in expression");
}

struct binop { const char *p; int prec; int op; };
static const struct binop binops[] = {
    {"*", 6, OP_MUL}, {"/", 6, OP_DIV}, {"%", 6, OP_MOD},
    {"+", 5, OP_ADD}, {"-", 5, OP_SUB},
    {"<", 4, OP_LT}, {"<=", 4, OP_LE}, {">", 4, OP_GT}, {">=", 4, OP_GE},
    {"==", 3, OP_EQ}, {"!=", 3, OP_NE},
    {"&&", 2, -1}, {"||", 1, -2}, {0, 0, 0}
};

static const struct binop *cur_binop(void) {
    if (tk != T_PUNCT) return 0;
    for (int i = 0; binops[i].p; i++)
        if (!strcmp(tp, binops[i].p)) return &binops[i];
    return 0;
}

static void binary(int minprec) {
    primary();
    for (;;) {
        const struct binop *b = cur_binop();
        if (!b || b->prec < minprec) return;
        next();
        if (b->op < 0) {
            /* short circuit: a && b  ->  a dup jz L pop b L:  (then normalise) */
            emit(OP_DUP);
            emit(b->op == -1 ? OP_JZ : OP_JNZ);
            int patch = ncode; emit(0);
            emit(OP_POP);
            binary(b->prec + 1);
            code[patch] = ncode;
            emit(OP_NOT); emit(OP_NOT);
        } else {
            binary(b->prec + 1);
            emit(b->op);
        }
    }
}

static void expr(void) { binary(1); }

static void block(void);

static void statement(void) {
    if (tk == T_KW_PRINT) {
        next(); expr(); expect(";"); emit(OP_PRINT);
    } else if (tk == T_KW_IF) {
        next(); expect("("); expr(); expect(")");
        emit(OP_JZ); int p1 = ncode; emit(0);
        block();
        if (tk == T_KW_ELSE) {
            next();
            emit(OP_JMP); int p2 = ncode; emit(0);
            code[p1] = ncode;
            if (tk == T_KW_IF) statement(); else block();
            code[p2] = ncode;
        } else {
            code[p1] = ncode;
        }
    } else if (tk == T_KW_WHILE) {
        next();
        int top = ncode;
        expect("("); expr(); expect(")");
        emit(OP_JZ); int p = ncode; emit(0);
        block();
        emit(OP_JMP); emit(top);
        code[p] = ncode;
    } else if (tk == T_ID && !strcmp(tid, "m")) {
        next(); expect("["); expr(); expect("]"); expect("="); expr(); expect(";");
        emit(OP_ASTORE);
    } else if (tk == T_ID) {
        int v = var_index(); next(); expect("="); expr(); expect(";");
        emit(OP_STORE); emit(v);
    } else {
        die("bad statement");
    }
}

static void block(void) {
    expect("{");
    while (!is("}")) {
        if (tk == T_EOF) die("unexpected end of input");
        statement();
    }
    next();
}

static void compile(const char *s) {
    src = s; pos = 0; line = 1; ncode = 0;
    next();
    while (tk != T_EOF) statement();
    emit(OP_HALT);
}

/* ---- VM ---- */
#define MEM 4096
static val vars[26];
static val mem[MEM];
static uint64_t steps;
static uint32_t out_hash;

static void run(void) {
    val stack[256];
    int sp = 0, pc = 0;
    for (;;) {
        int32_t op = code[pc++];
        steps++;
        val a, b;
        switch (op) {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = vars[code[pc++]]; break;
        case OP_STORE: vars[code[pc++]] = stack[--sp]; break;
        case OP_ALOAD: a = stack[--sp]; stack[sp++] = mem[((uint64_t)a) % MEM]; break;
        case OP_ASTORE: b = stack[--sp]; a = stack[--sp]; mem[((uint64_t)a) % MEM] = b; break;
        case OP_ADD: b = stack[--sp]; stack[sp - 1] += b; break;
        case OP_SUB: b = stack[--sp]; stack[sp - 1] -= b; break;
        case OP_MUL: b = stack[--sp]; stack[sp - 1] *= b; break;
        case OP_DIV: b = stack[--sp]; stack[sp - 1] = b ? stack[sp - 1] / b : 0; break;
        case OP_MOD: b = stack[--sp]; stack[sp - 1] = b ? stack[sp - 1] % b : 0; break;
        case OP_LT: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] < b; break;
        case OP_LE: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] <= b; break;
        case OP_GT: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] > b; break;
        case OP_GE: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] >= b; break;
        case OP_EQ: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] == b; break;
        case OP_NE: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] != b; break;
        case OP_NOT: stack[sp - 1] = !stack[sp - 1]; break;
        case OP_NEG: stack[sp - 1] = -stack[sp - 1]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: a = stack[--sp]; if (!a) pc = code[pc]; else pc++; break;
        case OP_JNZ: a = stack[--sp]; if (a) pc = code[pc]; else pc++; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_POP: sp--; break;
        case OP_PRINT:
            a = stack[--sp];
            printf("%lld\n", (long long)a);
            out_hash = (out_hash ^ (uint32_t)a) * 16777619u;
            break;
        case OP_HALT: return;
        default: printf("bad opcode %d\n", op); exit(1);
        }
        if (sp < 0 || sp >= 250) { printf("stack error\n"); exit(1); }
    }
}

static void disasm(int limit) {
    for (int pc = 0; pc < ncode && pc < limit;) {
        int op = code[pc];
        printf("  %04d %-6s", pc, op_names[op]);
        pc++;
        if (op == OP_PUSH || op == OP_LOAD || op == OP_STORE || op == OP_JMP || op == OP_JZ || op == OP_JNZ)
            printf(" %d", code[pc++]);
        printf("\n");
    }
}

static const char *scripts[][2] = {
    {"primes below 120",
     "n = 2;\n"
     "while (n < 120) {\n"
     "  d = 2; p = 1;\n"
     "  while (d * d <= n && p) { if (n % d == 0) { p = 0; } d = d + 1; }\n"
     "  if (p) { print n; }\n"
     "  n = n + 1;\n"
     "}\n"},
    {"fibonacci 0..60 step 7",
     "a = 0; b = 1; i = 0;\n"
     "while (i <= 60) { if (i % 7 == 0) { print a; } t = a + b; a = b; b = t; i = i + 1; }\n"},
    {"gcd table",
     "x = 1071; y = 462;\n"
     "k = 0;\n"
     "while (k < 6) {\n"
     "  a = x; b = y;\n"
     "  while (b != 0) { t = a % b; a = b; b = t; }\n"
     "  print a;\n"
     "  x = x + 357; y = y * 2 + 42; k = k + 1;\n"
     "}\n"},
    {"sort 40 pseudo-random numbers (insertion sort), print every 5th",
     "s = 12345; i = 0;\n"
     "while (i < 40) { s = (s * 1103515245 + 12345) % 2147483648; m[i] = s % 1000; i = i + 1; }\n"
     "i = 1;\n"
     "while (i < 40) {\n"
     "  v = m[i]; j = i - 1;\n"
     "  while (j >= 0 && m[j] > v) { m[j + 1] = m[j]; j = j - 1; }\n"
     "  m[j + 1] = v; i = i + 1;\n"
     "}\n"
     "i = 0; k = 1;\n"
     "while (i < 39) { if (m[i] > m[i + 1]) { k = 0; } i = i + 1; }\n"
     "print k;\n"
     "i = 0; while (i < 40) { print m[i]; i = i + 5; }\n"},
    {"longest collatz chain below 3000",
     "n = 1; w = 0; z = 0;\n"
     "while (n < 3000) {\n"
     "  x = n; c = 1;\n"
     "  while (x != 1) { if (x % 2 == 0) { x = x / 2; } else { x = 3 * x + 1; } c = c + 1; }\n"
     "  if (c > w) { w = c; z = n; }\n"
     "  n = n + 1;\n"
     "}\n"
     "print z; print w;\n"},
    {"sieve of eratosthenes: count primes below 4000, sum of them",
     "i = 2; while (i < 4000) { m[i] = 1; i = i + 1; }\n"
     "i = 2;\n"
     "while (i * i < 4000) {\n"
     "  if (m[i]) { j = i * i; while (j < 4000) { m[j] = 0; j = j + i; } }\n"
     "  i = i + 1;\n"
     "}\n"
     "c = 0; s = 0; i = 2;\n"
     "while (i < 4000) { if (m[i]) { c = c + 1; s = s + i; } i = i + 1; }\n"
     "print c; print s;\n"
     "print -7 / 2; print -7 % 2; print !(3 > 2 || 1 / 0); print (1 && 0) + (0 || 5);\n"},
};

int main(void) {
    int n = (int)(sizeof scripts / sizeof scripts[0]);
    for (int i = 0; i < n; i++) {
        memset(vars, 0, sizeof vars);
        compile(scripts[i][1]);
        printf("== %s (%d words of bytecode)\n", scripts[i][0], ncode);
        if (i == 0) disasm(24);
        run();
    }
    printf("steps=%llu hash=%08x\n", (unsigned long long)steps, (unsigned)out_hash);
    return 0;
}
