/* threads.c: instances on several threads at once (tests/c_embed.rs runs
 * it natively and for arm64). Each thread has its own linked pair of
 * provider.wat and consumer.wat instances and its own host.wat instance
 * with host objects, calls them in a loop with traps of every kind mixed
 * in (division by zero, out-of-bounds memory, stack overflow, a host
 * function failing), and instantiates and frees more instances as it
 * goes. Every result is checked; the output is one line. */

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "consumer.h"
#include "host.h"
#include "provider.h"

#define THREADS 8
#define ITERATIONS 400

struct worker {
  int id;
  int failures;
  int traps;
  int logged; /* host.wat's env.log calls, through ctx */
};

/* env.log: counts in the thread's own context; 13 makes it fail. */
static int host_log(void *ctx, int32_t x) {
  struct worker *w = (struct worker *)ctx;
  if (x == 13) return 1;
  w->logged++;
  return 0;
}

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "thread %d, %s:%d: %s\n", w->id, __FILE__, __LINE__, #cond); \
      w->failures++;                                                          \
    }                                                                         \
  } while (0)

/* A call that must trap with a message containing `what`. */
#define TRAPS(call, inst, trap_message, what)                                 \
  do {                                                                        \
    CHECK((call) == WAOT_TRAP);                                               \
    CHECK(strstr(trap_message(inst), what) != NULL);                          \
    w->traps++;                                                               \
  } while (0)

/* A provider instance and a consumer linked to it. */
static int make_pair(provider_instance **p, consumer_instance **c) {
  consumer_imports im;
  int status;
  if (provider_instantiate(NULL, p) != WAOT_OK) return WAOT_ERROR;
  memset(&im, 0, sizeof im);
  im.lib_scale_it.func = provider_scale_it_export(*p);
  im.lib_divide.func = provider_divide_export(*p);
  im.lib_deep.func = provider_deep_export(*p);
  im.lib_memory = provider_memory_export(*p);
  im.lib_table = provider_table_export(*p);
  im.lib_scale = provider_scale_export(*p);
  im.lib_version = provider_version_export(*p);
  status = consumer_instantiate(&im, c);
  waot_rt_func_free(im.lib_scale_it.func);
  waot_rt_func_free(im.lib_divide.func);
  waot_rt_func_free(im.lib_deep.func);
  waot_rt_memory_free(im.lib_memory);
  waot_rt_table_free(im.lib_table);
  waot_rt_global_free(im.lib_scale);
  waot_rt_global_free(im.lib_version);
  return status;
}

static void *run(void *arg) {
  struct worker *w = (struct worker *)arg;
  provider_instance *p;
  consumer_instance *c;
  host_imports him;
  host_instance *h;
  waot_val v;
  int32_t r = 0, scale = w->id + 2;
  int64_t counter = 0;
  int i;

  if (make_pair(&p, &c) != WAOT_OK) {
    fprintf(stderr, "thread %d: %s\n", w->id, waot_rt_last_error());
    w->failures++;
    return NULL;
  }
  memset(&him, 0, sizeof him);
  him.env_memory = waot_rt_memory_new(1, 2);
  him.env_table = waot_rt_table_new(WAOT_FUNCREF, 2, 2);
  v.i64 = 0;
  v.i32 = w->id;
  him.env_base = waot_rt_global_new(WAOT_I32, 0, &v);
  v.i64 = 0;
  him.env_counter = waot_rt_global_new(WAOT_I64, 1, &v);
  him.env_log.fn = host_log;
  him.env_log.ctx = w;
  if (host_instantiate(&him, &h) != WAOT_OK) {
    fprintf(stderr, "thread %d: %s\n", w->id, waot_rt_last_error());
    w->failures++;
    return NULL;
  }
  CHECK(consumer_set_scale(c, scale) == WAOT_OK);

  for (i = 0; i < ITERATIONS; i++) {
    CHECK(consumer_run(c, i, &r) == WAOT_OK && r == i * scale);
    CHECK(consumer_poke(c, 4 * (i % 64), w->id * 1000 + i) == WAOT_OK);
    CHECK(provider_peek(p, 4 * (i % 64), &r) == WAOT_OK && r == w->id * 1000 + i);
    CHECK(host_store(h, 8, i) == WAOT_OK);
    CHECK(host_load(h, 8, &r) == WAOT_OK && r == w->id + i);
    CHECK(host_bump(h, 1, &counter) == WAOT_OK && counter == i + 1);
    CHECK(host_apply(h, i % 2, i, &r) == WAOT_OK && r == (i % 2 ? i * i : 2 * i));
    CHECK(host_notify(h, i) == WAOT_OK || i == 13);
    switch (i % 50) {
    case 0:
      TRAPS(consumer_div(c, i, 0, &r), c, consumer_trap_message, "integer divide by zero");
      break;
    case 10:
      TRAPS(provider_peek(p, 0x7ffffff0, &r), p, provider_trap_message, "out of bounds memory access");
      break;
    case 20:
      TRAPS(consumer_deep(c, 0, &r), c, consumer_trap_message, "call stack exhausted");
      break;
    case 30:
      TRAPS(host_notify(h, 13), h, host_trap_message, "returned status 1");
      break;
    case 40: {
      /* A fresh pair, used and freed while the others live on. */
      provider_instance *p2;
      consumer_instance *c2;
      CHECK(make_pair(&p2, &c2) == WAOT_OK);
      CHECK(consumer_run(c2, i, &r) == WAOT_OK && r == 3 * i);
      TRAPS(consumer_div(c2, 1, 0, &r), c2, consumer_trap_message, "integer divide by zero");
      provider_free(p2);
      consumer_free(c2);
      break;
    }
    }
  }
  CHECK(w->logged == ITERATIONS - 1);
  waot_rt_memory_free(him.env_memory);
  waot_rt_table_free(him.env_table);
  waot_rt_global_free(him.env_base);
  waot_rt_global_free(him.env_counter);
  host_free(h);
  provider_free(p);
  consumer_free(c);
  return NULL;
}

int main(void) {
  pthread_t threads[THREADS];
  struct worker workers[THREADS];
  int i, failures = 0, traps = 0;

  for (i = 0; i < THREADS; i++) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].id = i;
    if (pthread_create(&threads[i], NULL, run, &workers[i]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 1;
    }
  }
  for (i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    failures += workers[i].failures;
    traps += workers[i].traps;
  }
  if (failures) {
    fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  printf("%d threads x %d iterations: ok, %d traps\n", THREADS, ITERATIONS, traps);
  return 0;
}
