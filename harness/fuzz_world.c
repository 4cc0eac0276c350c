/* fuzz_world.c - libFuzzer target for the world file parser (built with clang
 * only, see `make fuzz`): the input is the text of a world file, parsed by
 * hn_world_from_data (the checks of hn_world_load without the file).
 * Properties beyond "no fault, no leak": an accepted world has 1..HN_MAX_SYSTEMS
 * systems, each with at most HN_MAX_IFACES interfaces, every one with its hub
 * port (an interface name, <= 15 characters), at most HN_MAX_MEDIUM_PORTS per
 * medium (bridge), and every system found again by its name.
 * Run: build-fuzz/harness/fuzz_world -max_total_time=60 CORPUS_COPY */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *error = NULL;
  HnWorld *w = hn_world_from_data("fuzz.world", (const char *)data, size, &error);
  if (!w) {
    if (!error || !error->message[0])
      abort(); /* every refusal says why */
    g_error_free(error);
    return 0;
  }
  if (error || w->systems->len == 0 || w->systems->len > HN_MAX_SYSTEMS)
    abort();
  GHashTable *ports = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    if (hn_world_system(w, s->name) != s || s->ifaces->len > HN_MAX_IFACES)
      abort();
    for (guint j = 0; j < s->ifaces->len; j++) {
      HnIface *f = g_ptr_array_index(s->ifaces, j);
      if (!f->port || strlen(f->port) > 15 || !hn_world_medium(w, f->medium))
        abort();
      guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ports, f->medium)) + 1;
      if (n > HN_MAX_MEDIUM_PORTS)
        abort();
      g_hash_table_insert(ports, f->medium, GUINT_TO_POINTER(n));
    }
    char *idns = g_strconcat(s->name, "-entr01", NULL);
    if (hn_world_identity_system(w, idns) != s)
      abort();
    g_free(idns);
  }
  g_hash_table_destroy(ports);
  hn_world_free(w);
  return 0;
}
