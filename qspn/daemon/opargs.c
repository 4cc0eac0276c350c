/* opargs.c - the arguments of prepare_enter_net_phase_1 and
 * prepare_migrate_phase_1 (behaviour.md 6.2), parsed with the topology's bounds. */
#include "enter.h"

#include <string.h>

#include "control.h"

/* "2.1.1": positions (or elderships) of levels l-1 .. h, highest first. */
static bool parse_levels(const ntk_topology *t, const char *w, int h, bool eld, int *pos, uint32_t *elds,
                         GString *err)
{
    gchar **parts = g_strsplit(w, ".", -1);
    int n = (int)g_strv_length(parts);
    bool ok = n == t->levels - h;
    for (int i = 0; ok && i < n; i++) {
        int lvl = t->levels - 1 - i;
        long v;
        ok = control_parse_long(parts[i], 0, eld ? 0x7FFFFFFE : t->gsize[lvl] - 1, "position", &v, NULL);
        if (ok && eld)
            elds[lvl] = (uint32_t)v;
        else if (ok)
            pos[lvl] = (int)v;
    }
    g_strfreev(parts);
    if (!ok)
        g_string_append_printf(err, "bad host g-node %s '%.64s' (%d real positions, highest level first)",
                               eld ? "elderships" : "address", w, t->levels - h);
    return ok;
}

/* "[0]", "[2,5]", "[]" */
bool qop_parse_arc_list(const char *w, qop_params *p, GString *err)
{
    size_t len = strlen(w);
    if (len < 2 || w[0] != '[' || w[len - 1] != ']') {
        g_string_append_printf(err, "bad identity-arc list '%.64s' (e.g. [0] or [2,5] or [])", w);
        return false;
    }
    gchar *inner = g_strndup(w + 1, len - 2);
    gchar **parts = inner[0] ? g_strsplit(inner, ",", -1) : g_new0(gchar *, 1);
    bool ok = g_strv_length(parts) <= QOP_MAX_ARCS;
    p->n_arcs = 0;
    for (gchar **x = parts; ok && *x; x++) {
        long v;
        ok = control_parse_long(*x, 0, 1000000, "identity-arc index", &v, NULL);
        if (ok)
            p->arcs[p->n_arcs++] = (int)v;
    }
    g_strfreev(parts);
    g_free(inner);
    if (!ok)
        g_string_append_printf(err, "bad identity-arc list '%.64s'", w);
    return ok;
}

/* The arguments shared by prepare_enter_net_phase_1 and prepare_migrate_phase_1
 * (argv[1..11]), and the operation ids (last two). */
bool qop_parse_args(const ntk_topology *t, int argc, char **argv, qop_params *p, GString *err)
{
    long v[8];
    if (!control_parse_long(argv[1], 0, 1000000, "old identity index", &v[0], err) ||
        !control_parse_long(argv[2], 0, t->levels - 1, "guest level", &v[1], err) ||
        !control_parse_long(argv[3], v[1] + 1, t->levels, "host level", &v[2], err))
        return false;
    p->old_index = (int)v[0];
    p->guest_level = (int)v[1];
    p->host_level = (int)v[2];
    int h = p->host_level, k = p->guest_level;
    const char *host = argv[4], *host_eld = argv[5];
    if (h == t->levels && (strcmp(host, "-") == 0 || !host[0]))
        host = host_eld = "";
    if ((h < t->levels || host[0]) && (!parse_levels(t, host, h, false, p->host_pos, NULL, err) ||
                                       !parse_levels(t, host_eld, h, true, NULL, p->host_eld, err)))
        return false;
    if (!control_parse_long(argv[6], t->gsize[h - 1], QSPN_MAX_POS, "virtual position (pos1)", &v[3], err) ||
        !control_parse_long(argv[7], 0, 0x7FFFFFFE, "pos1 eldership", &v[4], err) ||
        !control_parse_long(argv[8], 0, t->gsize[h - 1] - 1, "real position (pos2)", &v[5], err) ||
        !control_parse_long(argv[9], 0, 0x7FFFFFFE, "pos2 eldership", &v[6], err) ||
        !control_parse_long(argv[10], t->gsize[k], QSPN_MAX_POS, "connectivity position", &v[7], err))
        return false;
    p->pos1 = (int)v[3];
    p->eld1 = (uint32_t)v[4];
    p->pos2 = (int)v[5];
    p->eld2 = (uint32_t)v[6];
    p->cpos = (int)v[7];
    long ce, op;
    if (!control_parse_long(argv[11], 0, 0x7FFFFFFE, "connectivity position eldership", &ce, err) ||
        !control_parse_long(argv[argc - 2], 0, 0x7FFFFFFF, "operation id", &op, err))
        return false;
    p->cpos_eld = (uint32_t)ce;
    p->op_id = (uint32_t)op;
    if (strcmp(argv[argc - 1], "null") == 0) {
        p->has_prev = false;
    } else {
        long prev;
        if (!control_parse_long(argv[argc - 1], 0, 0x7FFFFFFF, "previous operation id (or null)", &prev, err))
            return false;
        p->has_prev = true;
        p->prev_op_id = (uint32_t)prev;
    }
    return true;
}

