/* mathlib.c: the WebAssembly library the C host in main.c embeds.
 *
 * Built for wasm32 with no libc (see build-wasm.sh); the committed
 * mathlib.wasm is its output, so building the example needs no wasm
 * toolchain. Everything the host can call is marked EXPORT. */

#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("env"), import_name(name)))

/* Host functions (main.c supplies them, each with a context pointer). */
IMPORT("log_value") void host_log(int32_t tag, double value);
IMPORT("transform") int32_t host_transform(int32_t x);

/* One value of every type in and out. */
EXPORT("add_i32") int32_t add_i32(int32_t a, int32_t b) { return a + b; }
EXPORT("mul_i64") int64_t mul_i64(int64_t a, int64_t b) { return a * b; }
EXPORT("scale_f32") float scale_f32(float x, float k) { return x * k; }
EXPORT("hypot_f64") double hypot_f64(double a, double b) {
  return __builtin_sqrt(a * a + b * b);
}
EXPORT("mix") double mix(int32_t a, int64_t b, float c, double d) {
  return (double)a + (double)b + (double)c + d;
}

/* Traps with "integer divide by zero" when b is 0. */
EXPORT("div_i32") int32_t div_i32(int32_t a, int32_t b) { return a / b; }

/* Calls the host twice: host_transform (which may call back into this
 * instance) and host_log. */
EXPORT("apply") int32_t apply(int32_t x) {
  int32_t y = host_transform(x);
  host_log(x, (double)y);
  return y;
}

/* Per-instance state: each instance has its own memory. */
static int32_t counter;
EXPORT("counter_next") int32_t counter_next(void) { return ++counter; }

/* A bump allocator the host uses to pass data in. */
static uint8_t heap[16384];
static uint32_t heap_used;
EXPORT("alloc") uint8_t *alloc(uint32_t n) {
  uint32_t start = (heap_used + 7u) & ~7u;
  if (n > sizeof heap - start) return 0;
  heap_used = start + n;
  return heap + start;
}

/* Upper-cases s[0..len) in place and returns how many letters changed. */
EXPORT("upper") int32_t upper(uint8_t *s, int32_t len) {
  int32_t changed = 0;
  for (int32_t i = 0; i < len; i++) {
    if (s[i] >= 'a' && s[i] <= 'z') {
      s[i] = (uint8_t)(s[i] - 'a' + 'A');
      changed++;
    }
  }
  return changed;
}

/* Writes the reverse of s[0..len) to a new buffer; returns its address. */
EXPORT("reverse") uint8_t *reverse(const uint8_t *s, int32_t len) {
  uint8_t *out = alloc((uint32_t)len + 1u);
  if (!out) return 0;
  for (int32_t i = 0; i < len; i++) out[i] = s[len - 1 - i];
  out[len] = 0;
  return out;
}
