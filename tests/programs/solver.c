/*
 * solver.c - backtracking search: N-queens (bitmask, counts for N=1..11 and the
 * first solution for N=8), a sudoku solver (constraint propagation + recursion)
 * on three puzzles, and a knight's tour (Warnsdorff heuristic with backtracking).
 * Deep recursion, many small functions, indirect calls through a function table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- N-queens ---------------- */
static uint64_t nodes;

static int queens_count(int n, uint32_t cols, uint32_t d1, uint32_t d2) {
    uint32_t all = (1u << n) - 1;
    if (cols == all) return 1;
    int count = 0;
    uint32_t avail = all & ~(cols | d1 | d2);
    while (avail) {
        uint32_t bit = avail & (0u - avail);
        avail ^= bit;
        nodes++;
        count += queens_count(n, cols | bit, ((d1 | bit) << 1) & all, (d2 | bit) >> 1);
    }
    return count;
}

static int qpos[16];
static int queens_first(int n, int row) {
    if (row == n) return 1;
    for (int c = 0; c < n; c++) {
        int ok = 1;
        for (int r = 0; r < row; r++)
            if (qpos[r] == c || abs(qpos[r] - c) == row - r) { ok = 0; break; }
        if (!ok) continue;
        qpos[row] = c;
        if (queens_first(n, row + 1)) return 1;
    }
    return 0;
}

static void run_queens(void) {
    printf("== n-queens\n");
    for (int n = 1; n <= 11; n++) {
        nodes = 0;
        int c = queens_count(n, 0, 0, 0);
        printf("  n=%2d solutions=%5d nodes=%8llu\n", n, c, (unsigned long long)nodes);
    }
    queens_first(8, 0);
    for (int r = 0; r < 8; r++) {
        printf("  ");
        for (int c = 0; c < 8; c++) printf("%c", qpos[r] == c ? 'Q' : '.');
        printf("\n");
    }
}

/* ---------------- sudoku ---------------- */
typedef struct { uint8_t cell[81]; uint16_t rowm[9], colm[9], boxm[9]; } sudoku;
static uint64_t guesses;

static int popcount16(uint32_t x) { int c = 0; while (x) { x &= x - 1; c++; } return c; }
static int box_of(int i) { return (i / 27) * 3 + (i % 9) / 3; }

static void place(sudoku *s, int i, int d) {
    uint16_t b = (uint16_t)(1u << d);
    s->cell[i] = (uint8_t)(d + 1);
    s->rowm[i / 9] |= b; s->colm[i % 9] |= b; s->boxm[box_of(i)] |= b;
}

static int solve(sudoku *s) {
    /* pick the empty cell with the fewest candidates */
    int best = -1, bestc = 10;
    uint32_t bestmask = 0;
    for (int i = 0; i < 81; i++) {
        if (s->cell[i]) continue;
        uint32_t m = 0x1FF & ~(uint32_t)(s->rowm[i / 9] | s->colm[i % 9] | s->boxm[box_of(i)]);
        int c = popcount16(m);
        if (c == 0) return 0;
        if (c < bestc) { bestc = c; best = i; bestmask = m; if (c == 1) break; }
    }
    if (best < 0) return 1;
    for (int d = 0; d < 9; d++) {
        if (!(bestmask & (1u << d))) continue;
        sudoku copy = *s;
        guesses++;
        place(&copy, best, d);
        if (solve(&copy)) { *s = copy; return 1; }
    }
    return 0;
}

static int load(sudoku *s, const char *p) {
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 81; i++) {
        char ch = p[i];
        if (ch >= '1' && ch <= '9') {
            int d = ch - '1';
            uint16_t b = (uint16_t)(1u << d);
            if ((s->rowm[i / 9] | s->colm[i % 9] | s->boxm[box_of(i)]) & b) return 0;
            place(s, i, d);
        }
    }
    return 1;
}

static int check(const sudoku *s) {
    for (int k = 0; k < 9; k++)
        if (s->rowm[k] != 0x1FF || s->colm[k] != 0x1FF || s->boxm[k] != 0x1FF) return 0;
    return 1;
}

static void run_sudoku(void) {
    static const char *puzzles[] = {
        "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
        /* "Arto Inkala" puzzle */
        "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..",
        /* 17 clues */
        "...........8.3.2..7..1......5..4.....2.....1....6.3..4...2..8......7..6.9..5..1..",
    };
    printf("== sudoku\n");
    for (int p = 0; p < 3; p++) {
        sudoku s;
        guesses = 0;
        if (!load(&s, puzzles[p])) { printf("  puzzle %d invalid\n", p); continue; }
        int ok = solve(&s);
        printf("  puzzle %d: %s, guesses=%llu, valid=%d\n", p, ok ? "solved" : "no solution",
               (unsigned long long)guesses, ok && check(&s));
        if (!ok) continue;
        for (int r = 0; r < 9; r++) {
            printf("  ");
            for (int c = 0; c < 9; c++) printf("%d%s", s.cell[r * 9 + c], (c % 3 == 2 && c < 8) ? " | " : "");
            printf("\n");
        }
    }
}

/* ---------------- knight's tour ---------------- */
#define KN 8
static int board[KN][KN];
static const int kdx[8] = {1, 2, 2, 1, -1, -2, -2, -1};
static const int kdy[8] = {2, 1, -1, -2, -2, -1, 1, 2};
static uint64_t kmoves;

static int onb(int x, int y) { return x >= 0 && y >= 0 && x < KN && y < KN && board[y][x] == 0; }
static int degree(int x, int y) {
    int d = 0;
    for (int k = 0; k < 8; k++) d += onb(x + kdx[k], y + kdy[k]);
    return d;
}

static int tour(int x, int y, int step) {
    board[y][x] = step;
    kmoves++;
    if (step == KN * KN) return 1;
    int order[8], deg[8], n = 0;
    for (int k = 0; k < 8; k++) {
        int nx = x + kdx[k], ny = y + kdy[k];
        if (!onb(nx, ny)) continue;
        int d = degree(nx, ny), j = n++;
        while (j > 0 && deg[j - 1] > d) { deg[j] = deg[j - 1]; order[j] = order[j - 1]; j--; }
        deg[j] = d; order[j] = k;
    }
    for (int i = 0; i < n; i++)
        if (tour(x + kdx[order[i]], y + kdy[order[i]], step + 1)) return 1;
    board[y][x] = 0;
    return 0;
}

static void run_knight(void) {
    printf("== knight's tour\n");
    static const int starts[3][2] = {{0, 0}, {3, 4}, {7, 2}};
    for (int s = 0; s < 3; s++) {
        memset(board, 0, sizeof board);
        kmoves = 0;
        int ok = tour(starts[s][0], starts[s][1], 1);
        uint32_t h = 2166136261u;
        for (int y = 0; y < KN; y++) for (int x = 0; x < KN; x++) h = (h ^ (uint32_t)board[y][x]) * 16777619u;
        printf("  start (%d,%d): %s moves=%llu hash=%08x\n", starts[s][0], starts[s][1],
               ok ? "found" : "none", (unsigned long long)kmoves, (unsigned)h);
        if (s == 0)
            for (int y = 0; y < KN; y++) {
                printf("  ");
                for (int x = 0; x < KN; x++) printf("%3d", board[y][x]);
                printf("\n");
            }
    }
}

typedef void (*task_fn)(void);
static const struct { const char *name; task_fn fn; } tasks[] = {
    {"queens", run_queens}, {"sudoku", run_sudoku}, {"knight", run_knight},
};

int main(void) {
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) tasks[i].fn();
    printf("done\n");
    return 0;
}
