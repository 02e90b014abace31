/* interp: a stack-based bytecode interpreter (switch dispatch, locals,
 * calls/returns) running three hand-assembled programs: Collatz step totals
 * for 1..K, a trial-division prime count below K/2, and recursive
 * Fibonacci(F).  Size N (default 10; smoke: 1 means K=2000, F=15) sets
 * K = N*20000 and F = 20 + N/2.  Checks: every result equals the same
 * computation done directly in C.  Prints "ok <collatz steps> <primes> <fib>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, EQ, NE, AND, SHR, JMP, JZ, JNZ,
       CALL, RET, DUP, DROP, HALT };

typedef int64_t V;

static V run(const int64_t *code, int64_t arg) {
    /* static: ~80 KiB would overflow wasm-ld's default 64 KiB stack */
    static V stack[4096], locals[8 * 1024];      /* frame: 8 locals per call */
    static int64_t rstack[1024][2];              /* return pc, saved fp */
    int sp = 0, fp = 0, rp = 0;
    size_t pc = 0;
    locals[0] = arg;
    for (;;) {
        int64_t op = code[pc++];
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = locals[fp + code[pc++]]; break;
        case STORE: locals[fp + code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DIV: sp--; stack[sp - 1] /= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case NE: sp--; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] >>= stack[sp]; break;
        case JMP: pc = (size_t)code[pc]; break;
        case JZ: if (stack[--sp] == 0) pc = (size_t)code[pc]; else pc++; break;
        case JNZ: if (stack[--sp] != 0) pc = (size_t)code[pc]; else pc++; break;
        case CALL:   /* argument on stack -> local 0 of the new frame */
            rstack[rp][0] = (int64_t)(pc + 1); rstack[rp][1] = fp; rp++;
            fp += 8; locals[fp] = stack[--sp];
            pc = (size_t)code[pc]; break;
        case RET:
            if (rp == 0) return stack[sp - 1];
            rp--; pc = (size_t)rstack[rp][0]; fp = (int)rstack[rp][1]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case HALT: return stack[sp - 1];
        default: printf("FAIL bad opcode %lld\n", (long long)op); exit(1);
        }
    }
}

/* collatz: locals 0 = K, 1 = i, 2 = x, 3 = total */
static int64_t prog_c[128], prog_p[128], prog_f[128];

static int asm_n;
static int64_t *asm_out;
static void e(int64_t v) { asm_out[asm_n++] = v; }
static int here(void) { return asm_n; }

static void build_collatz(void) {
    asm_out = prog_c; asm_n = 0;
    e(PUSH); e(0); e(STORE); e(3);
    e(PUSH); e(1); e(STORE); e(1);
    int outer = here();
    e(LOAD); e(1); e(LOAD); e(0); e(LT); e(JZ); int p_end = here(); e(0);
    e(LOAD); e(1); e(STORE); e(2);
    int inner = here();
    e(LOAD); e(2); e(PUSH); e(1); e(NE); e(JZ); int p_next = here(); e(0);
    e(LOAD); e(2); e(PUSH); e(1); e(AND); e(JZ); int p_even = here(); e(0);
    e(LOAD); e(2); e(PUSH); e(3); e(MUL); e(PUSH); e(1); e(ADD); e(STORE); e(2);
    e(JMP); int p_join = here(); e(0);
    prog_c[p_even] = here();
    e(LOAD); e(2); e(PUSH); e(1); e(SHR); e(STORE); e(2);
    prog_c[p_join] = here();
    e(LOAD); e(3); e(PUSH); e(1); e(ADD); e(STORE); e(3);
    e(JMP); e(inner);
    prog_c[p_next] = here();
    e(LOAD); e(1); e(PUSH); e(1); e(ADD); e(STORE); e(1);
    e(JMP); e(outer);
    prog_c[p_end] = here();
    e(LOAD); e(3); e(HALT);
}

/* locals: 0 = K, 1 = n, 2 = d, 3 = count, 4 = isprime */
static void build_primes(void) {
    asm_out = prog_p; asm_n = 0;
    e(PUSH); e(0); e(STORE); e(3);
    e(PUSH); e(2); e(STORE); e(1);
    int outer = here();
    e(LOAD); e(1); e(LOAD); e(0); e(LT); e(JZ); int p_end = here(); e(0);
    e(PUSH); e(1); e(STORE); e(4);
    e(PUSH); e(2); e(STORE); e(2);
    int inner = here();
    e(LOAD); e(2); e(LOAD); e(2); e(MUL); e(LOAD); e(1); e(PUSH); e(1); e(ADD); e(LT); e(JZ); int p_done = here(); e(0);
    e(LOAD); e(1); e(LOAD); e(2); e(MOD); e(JNZ); int p_cont = here(); e(0);
    e(PUSH); e(0); e(STORE); e(4); e(JMP); int p_done2 = here(); e(0);
    prog_p[p_cont] = here();
    e(LOAD); e(2); e(PUSH); e(1); e(ADD); e(STORE); e(2);
    e(JMP); e(inner);
    prog_p[p_done] = prog_p[p_done2] = here();
    e(LOAD); e(3); e(LOAD); e(4); e(ADD); e(STORE); e(3);
    e(LOAD); e(1); e(PUSH); e(1); e(ADD); e(STORE); e(1);
    e(JMP); e(outer);
    prog_p[p_end] = here();
    e(LOAD); e(3); e(HALT);
}

/* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2); entry calls fib(local 0) */
static void build_fib(void) {
    asm_out = prog_f; asm_n = 0;
    e(LOAD); e(0); e(CALL); int p_fib = here(); e(0); e(HALT);
    int fib = here(); prog_f[p_fib] = fib;
    e(LOAD); e(0); e(PUSH); e(2); e(LT); e(JZ); int p_rec = here(); e(0);
    e(LOAD); e(0); e(RET);
    prog_f[p_rec] = here();
    e(LOAD); e(0); e(PUSH); e(1); e(SUB); e(CALL); e(fib);
    e(LOAD); e(0); e(PUSH); e(2); e(SUB); e(CALL); e(fib);
    e(ADD); e(RET);
}

static int64_t fib(int64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10;
    if (n < 1) n = 1;
    build_collatz(); build_primes(); build_fib();
    int64_t K = n <= 1 ? 2000 : n * 20000, P = K / 2, F = n <= 1 ? 15 : 20 + n / 2;
    int64_t c = run(prog_c, K), p = run(prog_p, P), f = run(prog_f, F);
    int64_t wc = 0, wp = 0;
    for (int64_t i = 1; i < K; i++) for (int64_t x = i; x != 1; x = x & 1 ? 3 * x + 1 : x >> 1) wc++;
    for (int64_t m = 2; m < P; m++) { int is = 1; for (int64_t d = 2; d * d < m + 1; d++) if (m % d == 0) { is = 0; break; } wp += is; }
    int64_t wf = fib(F);
    if (c != wc || p != wp || f != wf) {
        printf("FAIL collatz %lld/%lld primes %lld/%lld fib %lld/%lld\n", (long long)c, (long long)wc,
               (long long)p, (long long)wp, (long long)f, (long long)wf);
        return 1;
    }
    printf("ok %lld %lld %lld\n", (long long)c, (long long)p, (long long)f);
    return 0;
}
