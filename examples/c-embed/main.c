/* main.c: a C program that embeds two WebAssembly modules compiled by
 * `waot compile --header` (see Makefile and docs/C-API.md).
 *
 * mathlib (from mathlib.c) and stats (from stats.wat) are plain objects
 * linked into this program with the waot runtime archive; every call is a
 * typed C function from the generated headers. */

#include <stdio.h>
#include <string.h>

#include "mathlib.h"
#include "stats.h"

/* Checks a status: prints the trap/error message and exits on failure. */
#define CHECK(call, inst, trap_message)                                    \
  do {                                                                     \
    int status_ = (call);                                                  \
    if (status_ != WAOT_OK) {                                              \
      fprintf(stderr, "%s failed (%d): %s\n", #call, status_,              \
              trap_message(inst));                                         \
      return 1;                                                            \
    }                                                                      \
  } while (0)

/* The context of the host functions mathlib imports. */
struct host_ctx {
  const char *label;       /* printed by log_value */
  int factor;              /* used by transform */
  mathlib_instance *inst;  /* for calling back into the instance */
  int calls;               /* how often the host was called */
};

/* env.log_value: prints through the context's label. */
static int log_value(void *ctx, int32_t tag, double value) {
  struct host_ctx *c = (struct host_ctx *)ctx;
  c->calls++;
  printf("  [%s] log_value(%d, %.1f)\n", c->label, tag, value);
  return 0;
}

/* env.transform: calls back into the same instance (re-entrant call):
 * transform(x) = add_i32(x * factor, 1). A negative x makes it trap. */
static int transform(void *ctx, int32_t x, int32_t *result) {
  struct host_ctx *c = (struct host_ctx *)ctx;
  c->calls++;
  if (x < 0) return 1; /* non-zero: the calling wasm code traps */
  return mathlib_add_i32(c->inst, x * c->factor, 1, result);
}

/* Copies s into the instance's memory; returns its wasm address. */
static int32_t put_string(mathlib_instance *inst, const char *s) {
  int32_t addr = 0;
  size_t len = strlen(s);
  if (mathlib_alloc(inst, (int32_t)len + 1, &addr) != WAOT_OK || addr == 0) return 0;
  memcpy(mathlib_memory(inst, NULL) + addr, s, len + 1);
  return addr;
}

int main(void) {
  struct host_ctx ctx_a = {"a", 10, NULL, 0};
  struct host_ctx ctx_b = {"b", 100, NULL, 0};
  mathlib_imports imports_a, imports_b;
  mathlib_instance *a, *b;

  memset(&imports_a, 0, sizeof imports_a);
  imports_a.env_log_value.fn = log_value;
  imports_a.env_log_value.ctx = &ctx_a;
  imports_a.env_transform.fn = transform;
  imports_a.env_transform.ctx = &ctx_a;
  imports_b = imports_a;
  imports_b.env_log_value.ctx = &ctx_b;
  imports_b.env_transform.ctx = &ctx_b;

  if (mathlib_instantiate(&imports_a, &a) != WAOT_OK ||
      mathlib_instantiate(&imports_b, &b) != WAOT_OK) {
    fprintf(stderr, "instantiate: %s\n", waot_rt_last_error());
    return 1;
  }
  ctx_a.inst = a;
  ctx_b.inst = b;

  /* Every value type. */
  {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    CHECK(mathlib_add_i32(a, 40, 2, &i32), a, mathlib_trap_message);
    printf("add_i32(40, 2) = %d\n", i32);
    CHECK(mathlib_mul_i64(a, 3000000000LL, 3, &i64), a, mathlib_trap_message);
    printf("mul_i64(3000000000, 3) = %lld\n", (long long)i64);
    CHECK(mathlib_scale_f32(a, 1.5f, 4.0f, &f32), a, mathlib_trap_message);
    printf("scale_f32(1.5, 4) = %.2f\n", (double)f32);
    CHECK(mathlib_hypot_f64(a, 3.0, 4.0, &f64), a, mathlib_trap_message);
    printf("hypot_f64(3, 4) = %.2f\n", f64);
    CHECK(mathlib_mix(a, 1, 20000000000LL, 0.5f, 0.25, &f64), a, mathlib_trap_message);
    printf("mix(1, 20000000000, 0.5, 0.25) = %.2f\n", f64);
  }

  /* Host imports with a context pointer, and a re-entrant call. */
  {
    int32_t r;
    CHECK(mathlib_apply(a, 4, &r), a, mathlib_trap_message);
    printf("apply(4) on a = %d\n", r);
    CHECK(mathlib_apply(b, 4, &r), b, mathlib_trap_message);
    printf("apply(4) on b = %d\n", r);
    printf("host calls: a=%d b=%d\n", ctx_a.calls, ctx_b.calls);
  }

  /* Strings through linear memory. */
  {
    int32_t s, changed, rev;
    size_t size;
    uint8_t *mem = mathlib_memory(a, &size);
    s = put_string(a, "Hello, wasm!");
    CHECK(mathlib_upper(a, s, 12, &changed), a, mathlib_trap_message);
    printf("upper -> \"%s\" (%d letters changed)\n", (const char *)mem + s, changed);
    CHECK(mathlib_reverse(a, s, 12, &rev), a, mathlib_trap_message);
    printf("reverse -> \"%s\"\n", (const char *)mem + rev);
    printf("memory: %zu bytes\n", size);
  }

  /* Traps are status codes; the instance stays usable. */
  {
    int32_t r = 0;
    int status = mathlib_div_i32(a, 7, 0, &r);
    printf("div_i32(7, 0): status %d, %s\n", status, mathlib_trap_message(a));
    status = mathlib_apply(a, -1, &r);
    printf("apply(-1): status %d, %s\n", status, mathlib_trap_message(a));
    CHECK(mathlib_div_i32(a, 7, 2, &r), a, mathlib_trap_message);
    printf("div_i32(7, 2) after the traps = %d\n", r);
  }

  /* Two instances, two memories. */
  {
    int32_t n = 0, i;
    for (i = 0; i < 3; i++) CHECK(mathlib_counter_next(a, &n), a, mathlib_trap_message);
    printf("counter a = %d\n", n);
    CHECK(mathlib_counter_next(b, &n), b, mathlib_trap_message);
    printf("counter b = %d\n", n);
    printf("memories differ: %s\n",
           mathlib_memory(a, NULL) != mathlib_memory(b, NULL) ? "yes" : "no");
  }

  /* A second module in the same program, with WASI from the runtime. */
  {
    stats_imports imports;
    stats_instance *st;
    int32_t q = 0, rem = 0, errno_ = -1, n = 0;
    waot_wasi *wasi = waot_rt_wasi_new();
    memset(&imports, 0, sizeof imports);
    imports.wasi = wasi; /* fd_write left NULL: served by the runtime */
    if (stats_instantiate(&imports, &st) != WAOT_OK) {
      fprintf(stderr, "instantiate stats: %s\n", waot_rt_last_error());
      return 1;
    }
    CHECK(stats_divmod(st, 17, 5, &q, &rem), st, stats_trap_message);
    printf("stats divmod(17, 5) = %d, %d\n", q, rem);
    CHECK(stats_record(st, 5000000000LL), st, stats_trap_message);
    CHECK(stats_record(st, 2), st, stats_trap_message);
    printf("stats total = %lld, version = %d\n", (long long)stats_total_get(st),
           stats_version_get(st));
    CHECK(stats_total_set(st, 0), st, stats_trap_message);
    CHECK(stats_counter_next(st, &n), st, stats_trap_message);
    printf("stats counter = %d (mathlib's counter a is separate)\n", n);
    fflush(stdout);
    CHECK(stats_hello(st, &errno_), st, stats_trap_message);
    printf("stats hello errno = %d\n", errno_);
    {
      int status = stats_divmod(st, 1, 0, &q, &rem);
      printf("stats divmod(1, 0): status %d, %s\n", status, stats_trap_message(st));
    }
    stats_free(st);
    waot_rt_wasi_free(wasi);
  }

  mathlib_free(a);
  mathlib_free(b);
  printf("done\n");
  return 0;
}
