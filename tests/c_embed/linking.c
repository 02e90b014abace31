/* linking.c: the C API's linking features, end to end (tests/c_embed.rs
 * builds it natively and for arm64 and compares its output with
 * linking.expected):
 *
 * 1. host.wat imports a memory, a table, globals and a function that the
 *    host creates; the module writes, grows and reads them, and so does the
 *    host, and a second instance shares them;
 * 2. consumer.wat imports a function, memory, table and globals exported by
 *    an instance of provider.wat, passed as export handles;
 * 3. refs.wat takes and returns funcref/externref values and exports
 *    tables of both kinds. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "host.h"
#include "provider.h"
#include "refs.h"

static int failures;

/* Reports a failed expectation (and goes on: all failures are shown). */
#define EXPECT(cond)                                                     \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                        \
    }                                                                    \
  } while (0)

/* A call that must return WAOT_OK. */
#define OK(call) EXPECT((call) == WAOT_OK)

static int logged[4];
static int log_count;

/* env.log of host.wat. */
static int host_log(void *ctx, int32_t x) {
  (void)ctx;
  if (log_count < 4) logged[log_count] = x;
  log_count++;
  return 0;
}

static void host_objects(void) {
  waot_val v;
  host_imports imports;
  host_instance *a, *b;
  uint8_t *mem;
  size_t len = 0;
  int32_t r = 0;
  int64_t c = 0;
  uint64_t old = 0;
  void *elem = NULL;

  printf("host objects:\n");
  memset(&imports, 0, sizeof imports);
  imports.env_memory = waot_rt_memory_new(1, 4);
  imports.env_table = waot_rt_table_new(WAOT_FUNCREF, 2, 10);
  v.i64 = 0;
  v.i32 = 100;
  imports.env_base = waot_rt_global_new(WAOT_I32, 0, &v);
  v.i64 = 5;
  imports.env_counter = waot_rt_global_new(WAOT_I64, 1, &v);
  imports.env_log.fn = host_log;
  if (!imports.env_memory || !imports.env_table || !imports.env_base ||
      !imports.env_counter || host_instantiate(&imports, &a) != WAOT_OK) {
    fprintf(stderr, "host.wat: %s\n", waot_rt_last_error());
    exit(1);
  }

  /* The data segment was written into the host's memory. */
  mem = waot_rt_memory_data(imports.env_memory, &len);
  printf("  memory: %zu bytes, \"%s\"\n", len, (const char *)mem + 16);

  /* The module writes base + v; the host reads it, and the other way round. */
  OK(host_store(a, 0, 7));
  memcpy(&r, mem, 4);
  printf("  wasm stored base + 7 = %d\n", r);
  r = 4242;
  memcpy(mem + 4, &r, 4);
  OK(host_load(a, 4, &r));
  printf("  wasm loaded what the host wrote: %d\n", r);

  /* The host changes the immutable global it owns; wasm sees it. */
  v.i64 = 0;
  v.i32 = 1000;
  waot_rt_global_write(imports.env_base, &v);
  OK(host_store(a, 8, 1));
  memcpy(&r, mem + 8, 4);
  printf("  after base = 1000: %d\n", r);

  /* A mutable global both sides update. */
  OK(host_bump(a, 10, &c));
  waot_rt_global_read(imports.env_counter, &v);
  printf("  counter: wasm %lld, host reads %lld\n", (long long)c, (long long)v.i64);
  v.i64 = 100;
  waot_rt_global_write(imports.env_counter, &v);
  OK(host_bump(a, 1, &c));
  printf("  counter after the host set 100: %lld\n", (long long)c);

  /* Growing: by wasm, then by the host; both see the same size. */
  OK(host_grow(a, 1, &r));
  waot_rt_memory_data(imports.env_memory, &len);
  printf("  wasm grew from %d page(s); host sees %zu bytes\n", r, len);
  OK(waot_rt_memory_grow_by(imports.env_memory, 1, &old));
  OK(host_size(a, &r));
  printf("  host grew from %llu page(s); wasm sees %d\n", (unsigned long long)old, r);
  EXPECT(waot_rt_memory_grow_by(imports.env_memory, 1, NULL) == WAOT_OK);
  EXPECT(waot_rt_memory_grow_by(imports.env_memory, 1, NULL) == WAOT_ERROR); /* max 4 */
  EXPECT(host_grow(a, 1, &r) == WAOT_OK && r == -1);

  /* The element segment filled the host's table; call through it. */
  OK(host_apply(a, 0, 21, &r));
  printf("  table[0](21) = %d", r);
  OK(host_apply(a, 1, 9, &r));
  printf(", table[1](9) = %d, table size %llu\n", r,
         (unsigned long long)waot_rt_table_len(imports.env_table));
  EXPECT(host_apply(a, 5, 1, &r) == WAOT_TRAP);
  printf("  table[5]: %s\n", host_trap_message(a));
  OK(waot_rt_table_grow_by(imports.env_table, 3, NULL, &old));
  EXPECT(host_apply(a, 4, 1, &r) == WAOT_TRAP);
  printf("  grown from %llu; table[4]: %s\n", (unsigned long long)old,
         host_trap_message(a));
  OK(waot_rt_table_read(imports.env_table, 1, &elem));
  OK(waot_rt_table_write(imports.env_table, 4, elem));
  OK(host_apply(a, 4, 7, &r));
  printf("  host copied table[1] to table[4]: table[4](7) = %d\n", r);
  EXPECT(waot_rt_table_read(imports.env_table, 5, &elem) == WAOT_ERROR);

  OK(host_notify(a, 3));
  printf("  log called %d time(s) with %d\n", log_count, logged[0]);

  /* A second instance imports the same objects: it sees the first's data
     (its own data segment rewrote only bytes 16..31). */
  if (host_instantiate(&imports, &b) != WAOT_OK) {
    fprintf(stderr, "second host.wat: %s\n", waot_rt_last_error());
    exit(1);
  }
  OK(host_load(b, 0, &r));
  printf("  second instance loads %d", r);
  OK(host_bump(b, 1, &c));
  printf(", bumps the shared counter to %lld\n", (long long)c);

  /* The host drops its references first; the instances keep the objects. */
  waot_rt_memory_free(imports.env_memory);
  waot_rt_table_free(imports.env_table);
  waot_rt_global_free(imports.env_base);
  waot_rt_global_free(imports.env_counter);
  host_free(a);
  OK(host_apply(b, 1, 12, &r));
  printf("  after freeing the first instance: table[1](12) = %d\n", r);
  host_free(b);

  /* A missing import is an error naming it. */
  memset(&imports, 0, sizeof imports);
  imports.env_log.fn = host_log;
  EXPECT(host_instantiate(&imports, &a) == WAOT_ERROR);
  printf("  without a memory: %s\n", waot_rt_last_error());
}

static void instance_links(void) {
  provider_instance *p;
  consumer_instance *c, *bad;
  consumer_imports imports;
  waot_val v;
  int32_t r = 0;
  size_t len = 0;
  uint8_t *mem;

  printf("instance to instance:\n");
  if (provider_instantiate(NULL, &p) != WAOT_OK) {
    fprintf(stderr, "provider: %s\n", waot_rt_last_error());
    exit(1);
  }
  memset(&imports, 0, sizeof imports);
  imports.lib_scale_it.func = provider_scale_it_export(p);
  imports.lib_divide.func = provider_divide_export(p);
  imports.lib_deep.func = provider_deep_export(p);
  imports.lib_memory = provider_memory_export(p);
  imports.lib_table = provider_table_export(p);
  imports.lib_scale = provider_scale_export(p);
  imports.lib_version = provider_version_export(p);
  if (consumer_instantiate(&imports, &c) != WAOT_OK) {
    fprintf(stderr, "consumer: %s\n", waot_rt_last_error());
    exit(1);
  }

  OK(consumer_run(c, 5, &r));
  printf("  consumer calls provider's scale_it(5) = %d\n", r);
  OK(consumer_set_scale(c, 10));
  OK(consumer_run(c, 5, &r));
  printf("  consumer set the provider's scale to %d; scale_it(5) = %d\n",
         provider_scale_get(p), r);
  OK(provider_scale_set(p, 4));
  OK(consumer_run(c, 5, &r));
  printf("  the host set it to 4: %d\n", r);
  OK(consumer_version(c, &r));
  printf("  immutable global version = %d\n", r);
  v.i64 = 0;
  v.i32 = 6;
  waot_rt_global_write(imports.lib_scale, &v);
  OK(consumer_run(c, 5, &r));
  printf("  the host wrote 6 through the global's handle: %d\n", r);
  v.i32 = 99;
  waot_rt_global_write(imports.lib_version, &v);
  waot_rt_global_read(imports.lib_version, &v);
  printf("  writing the immutable version through its handle is ignored: %d\n", v.i32);
  EXPECT(waot_rt_memory_data(imports.lib_memory, NULL) == provider_memory(p, NULL));
  EXPECT(waot_rt_table_len(imports.lib_table) == provider_table_size(p));

  OK(consumer_poke(c, 100, 77));
  OK(provider_peek(p, 100, &r));
  mem = provider_memory(p, &len);
  printf("  consumer wrote 77 into the provider's memory: peek %d, host %d\n", r,
         mem[100]);
  OK(consumer_grow(c, &r));
  provider_memory(p, &len);
  printf("  consumer grew it from %d page(s): provider has %zu bytes\n", r, len);

  EXPECT(consumer_div(c, 7, 0, &r) == WAOT_TRAP);
  printf("  provider code trapping under the consumer: %s\n",
         consumer_trap_message(c));
  OK(consumer_div(c, 42, 6, &r));
  printf("  and the next call works: %d\n", r);
  EXPECT(consumer_deep(c, 0, &r) == WAOT_TRAP);
  printf("  provider recursing without end under the consumer: %s\n",
         consumer_trap_message(c));

  /* Calls through the shared table, both ways. */
  OK(consumer_call_slot(c, 1, 5, &r));
  printf("  consumer calls provider's table[1](5) = %d", r);
  OK(consumer_call_slot(c, 2, 5, &r));
  printf(", its own table[2](5) = %d\n", r);
  OK(provider_call_slot(p, 2, 41, &r));
  printf("  provider calls the consumer's table[2](41) = %d\n", r);

  /* Wrong type for an import: refused, nothing is instantiated. */
  imports.lib_scale_it.func = imports.lib_divide.func;
  EXPECT(consumer_instantiate(&imports, &bad) == WAOT_ERROR);
  printf("  divide as scale_it: %s\n",
         strstr(waot_rt_last_error(), "incompatible import type") ? "incompatible import type"
                                                                  : waot_rt_last_error());

  /* Handles and the provider's own reference can go: the consumer keeps
     the provider's objects alive. */
  waot_rt_func_free(imports.lib_divide.func);
  waot_rt_func_free(imports.lib_deep.func);
  waot_rt_memory_free(imports.lib_memory);
  waot_rt_table_free(imports.lib_table);
  waot_rt_global_free(imports.lib_scale);
  waot_rt_global_free(imports.lib_version);
  provider_free(p);
  OK(consumer_run(c, 3, &r));
  printf("  after freeing the provider: scale_it(3) = %d\n", r);
  consumer_free(c);
}

static void references(void) {
  refs_instance *a, *b;
  waot_funcref *f = NULL, *g = NULL, *other = NULL;
  void *ext = NULL;
  static const char hello[] = "hello", world[] = "world";
  int32_t r = 0;
  uint64_t old = 0;
  waot_val v[2];
  waot_func *inc;

  printf("references:\n");
  if (refs_instantiate(NULL, &a) != WAOT_OK || refs_instantiate(NULL, &b) != WAOT_OK) {
    fprintf(stderr, "refs: %s\n", waot_rt_last_error());
    exit(1);
  }
  /* externref: any host pointer, handed back untouched. */
  OK(refs_keep(a, (void *)hello, &ext));
  EXPECT(ext == NULL);
  OK(refs_keep(a, (void *)world, &ext));
  printf("  keep(\"world\") returned \"%s\"; global last = \"%s\"\n", (const char *)ext,
         (const char *)refs_last_get(a));
  OK(refs_last_set(a, NULL));
  OK(refs_is_null(a, refs_last_get(a), &r));
  printf("  last set to NULL from C: is_null = %d\n", r);

  /* externref table. */
  OK(refs_put(a, 1, (void *)hello));
  OK(refs_things_get(a, 1, &ext));
  printf("  things[1] = \"%s\"", (const char *)ext);
  OK(refs_things_set(a, 0, (void *)world));
  OK(refs_take(a, 0, &ext));
  printf(", things[0] set from C = \"%s\"", (const char *)ext);
  OK(refs_things_grow(a, 2, (void *)hello, &old));
  OK(refs_take(a, 3, &ext));
  printf(", grown from %llu: things[3] = \"%s\"\n", (unsigned long long)old,
         (const char *)ext);

  /* funcref: returned by wasm, called from C, passed back. */
  OK(refs_get_func(a, 0, &f));
  v[0].i32 = 41;
  OK(waot_rt_call_ref((waot_instance *)a, f, v, 1));
  printf("  get_func(0) called from C: f(41) = %d\n", v[0].i32);
  OK(refs_dec_ref(a, &g));
  OK(refs_call_func(a, g, 10, &r));
  printf("  call_func(dec_ref(), 10) = %d\n", r);
  EXPECT(refs_call_func(a, NULL, 10, &r) == WAOT_TRAP);
  printf("  call_func(NULL): %s\n", refs_trap_message(a));
  EXPECT(waot_rt_call_ref((waot_instance *)a, NULL, v, 1) == WAOT_TRAP);

  /* funcref table accessors. */
  printf("  funcs: size %llu", (unsigned long long)refs_funcs_size(a));
  OK(refs_funcs_grow(a, 3, g, &old));
  OK(refs_funcs_get(a, 4, &f));
  EXPECT(f == g);
  printf(", grown from %llu to %llu with dec", (unsigned long long)old,
         (unsigned long long)refs_funcs_size(a));
  EXPECT(refs_funcs_grow(a, 100, NULL, &old) == WAOT_ERROR); /* max 10 */
  EXPECT(refs_funcs_get(a, 5, &f) == WAOT_ERROR);
  OK(refs_funcs_set(a, 1, NULL));
  EXPECT(refs_funcs_get(a, 1, &f) == WAOT_OK && f == NULL);
  printf(", funcs[1] cleared\n");

  /* A function handle's funcref, and funcrefs of unrelated instances. */
  inc = refs_inc_export(a);
  OK(refs_call_func(a, waot_rt_func_ref(inc), 1, &r));
  printf("  inc through its waot_func handle: %d\n", r);
  OK(refs_get_func(b, 0, &other));
  EXPECT(refs_call_func(a, other, 1, &r) == WAOT_ERROR);
  printf("  another instance's funcref: %s\n", refs_trap_message(a));
  EXPECT(refs_funcs_set(a, 0, other) == WAOT_ERROR);
  waot_rt_func_free(inc);
  refs_free(a);
  refs_free(b);
}

int main(void) {
  host_objects();
  instance_links();
  references();
  if (failures) {
    fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}
