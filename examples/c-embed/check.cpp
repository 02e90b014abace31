// check.cpp: the generated headers are valid C++ (compiled by the tests
// with g++ -std=c++17 -Wall -Wextra -Werror -c), and both modules' headers
// can be included in one translation unit.
#include "mathlib.h"
#include "stats.h"

namespace {

int scale(void *ctx, int32_t x, int32_t *result) {
  *result = x * *static_cast<int *>(ctx);
  return 0;
}

int log_value(void *, int32_t, double) { return 0; }

}  // namespace

int check_embedding() {
  int factor = 3;
  mathlib_imports imports = {};
  imports.env_transform.fn = scale;
  imports.env_transform.ctx = &factor;
  imports.env_log_value.fn = log_value;
  mathlib_instance *inst = nullptr;
  if (mathlib_instantiate(&imports, &inst) != WAOT_OK) return -1;
  int32_t sum = 0;
  double mixed = 0;
  if (mathlib_add_i32(inst, 1, 2, &sum) != WAOT_OK) return -2;
  if (mathlib_mix(inst, 1, 2, 3.0f, 4.0, &mixed) != WAOT_OK) return -3;
  size_t len = 0;
  uint8_t *mem = mathlib_memory(inst, &len);
  mathlib_free(inst);

  stats_imports simports = {};
  stats_instance *st = nullptr;
  if (stats_instantiate(&simports, &st) != WAOT_OK) return -4;
  int32_t q = 0, r = 0;
  int status = stats_divmod(st, 7, 2, &q, &r);
  int64_t total = stats_total_get(st);
  stats_free(st);
  return status + sum + (mem != nullptr) + static_cast<int>(total) + q + r;
}
