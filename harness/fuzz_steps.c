/* fuzz_steps.c - libFuzzer target for the steps file parser (built with clang
 * only, see `make fuzz`): the input is the text of a steps file, parsed by
 * hn_steps_from_data against the storyline's world (topologies/greek.world,
 * so that names resolve and the parser goes deep), then every step is
 * selected by its id and its deviations are applied to a text holding their
 * documented lines.
 * Properties beyond "no fault, no leak": an accepted file has 1..HN_MAX_STEPS
 * steps, each found again by its id and each with a check or a settle.
 * Run: build-fuzz/harness/fuzz_steps -max_total_time=60 CORPUS_COPY */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef FUZZ_WORLD
#error "FUZZ_WORLD: path of the world the steps are parsed against"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const HnWorld *storyline_world(void)
{
  static HnWorld *w;
  if (!w) {
    GError *error = NULL;
    w = hn_world_load(FUZZ_WORLD, &error);
    if (!w) {
      g_printerr("fuzz_steps: %s\n", error->message);
      abort();
    }
  }
  return w;
}

/* Every deviation of step s applied to a text made of its "from" lines. */
static void apply_deviations(const HnStep *s)
{
  for (guint i = 0; i < s->deviations->len; i++) {
    const HnDeviation *d = g_ptr_array_index(s->deviations, i);
    char *text = g_strconcat("head\n", d->from ? d->from : "", "\ntail\n", NULL);
    guint applied = 0;
    GError *error = NULL;
    char *out = hn_apply_deviations(s, d->ns, text, "expected.txt", &applied, &error);
    g_free(out);
    g_clear_error(&error);
    g_free(text);
  }
}

static void check_steps(const HnSteps *st)
{
  if (st->steps->len == 0 || st->steps->len > HN_MAX_STEPS)
    abort();
  gboolean *selected = g_new0(gboolean, st->steps->len);
  for (guint i = 0; i < st->steps->len; i++) {
    const HnStep *s = g_ptr_array_index(st->steps, i);
    if (hn_steps_index(st, s->id) < 0 || (!s->check_all && !s->checks->len && !s->settle))
      abort();
    GError *error = NULL;
    if (!hn_steps_select(st, s->id, selected, &error))
      g_clear_error(&error);
    apply_deviations(s);
  }
  g_free(selected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const HnWorld *w = storyline_world();
  GError *error = NULL;
  HnSteps *st = hn_steps_from_data("fuzz.steps", (const char *)data, size, w, &error);
  if (!st) {
    if (!error || !error->message[0])
      abort();
    g_error_free(error);
    return 0;
  }
  check_steps(st);
  hn_steps_free(st);
  return 0;
}
