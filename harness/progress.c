/* progress.c -- see progress.h.  The line is redrawn when the phase changes
 * and from every hn_sleep() of the harness's waits (at most 5 times a second). */
#include "progress.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_EVERY 0.2

static struct {
  gboolean on, shown;
  guint n, total;
  char *id, *slug, *phase;
  double run_t0, step_t0, drawn_at;
} pr;

void
hn_progress_format(GString *out, const HnProgressView *v, guint width)
{
  guint rs = (guint)v->run_secs;
  int w = v->total >= 100 ? 3 : v->total >= 10 ? 2 : 1;
  if (v->n > 0)
    g_string_printf(out, "[%*u/%u] ", w, v->n, v->total);
  else
    g_string_printf(out, "[end] ");      /* T1, T2 */
  g_string_append_printf(out, "%s %s | %s | %.1fs, run %um%02us", v->id, v->slug,
                         v->phase && *v->phase ? v->phase : "-", v->step_secs, rs / 60, rs % 60);
  if (width < 20)
    width = 20;
  if (g_utf8_strlen(out->str, -1) > (glong)width) {
    const char *cut = g_utf8_offset_to_pointer(out->str, (glong)width - 1);
    g_string_truncate(out, (gsize)(cut - out->str));
    g_string_append(out, "…");
  }
}

static guint
columns(void)
{
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col - 1;   /* never the last column: no wrap */
  return 79;
}

static void
draw(void)
{
  if (!pr.on || !pr.id)
    return;
  double now = hn_now();
  HnProgressView v = { pr.n, pr.total, pr.id, pr.slug, pr.phase, now - pr.step_t0, now - pr.run_t0 };
  GString *l = g_string_new(NULL);
  hn_progress_format(l, &v, columns());
  printf("\r\033[K%s", l->str);
  fflush(stdout);
  g_string_free(l, TRUE);
  pr.shown = TRUE;
  pr.drawn_at = now;
}

static void
tick(void)
{
  if (pr.on && hn_now() - pr.drawn_at >= REDRAW_EVERY)
    draw();
}

void
hn_progress_start(guint total_steps)
{
  const char *term = getenv("TERM");
  pr.on = isatty(STDOUT_FILENO) && !(term && !strcmp(term, "dumb"));
  pr.total = total_steps;
  pr.run_t0 = hn_now();
  if (pr.on)
    hn_sleep_hook = tick;
}

void
hn_progress_step(guint n, const char *id, const char *slug)
{
  g_free(pr.id);
  g_free(pr.slug);
  pr.n = n;
  pr.id = g_strdup(id);
  pr.slug = g_strdup(slug);
  pr.step_t0 = hn_now();
  hn_progress_phase("actions");
}

void
hn_progress_phase(const char *fmt, ...)
{
  if (!pr.on)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_free(pr.phase);
  pr.phase = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  draw();
}

void
hn_progress_clear(void)
{
  if (pr.on && pr.shown) {
    printf("\r\033[K");
    fflush(stdout);
    pr.shown = FALSE;
  }
}

void
hn_progress_stop(void)
{
  hn_progress_clear();
  if (hn_sleep_hook == tick)
    hn_sleep_hook = NULL;
  g_free(pr.id);
  g_free(pr.slug);
  g_free(pr.phase);
  memset(&pr, 0, sizeof pr);
}
