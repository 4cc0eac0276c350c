/* monevent.c - text and JSON forms of the monitor events (see monevent.h). */
#include "monevent.h"

#include <inttypes.h>
#include <string.h>

static const char *const type_names[QMON_N_TYPES] = {
    [QMON_NEIGHBOUR_UP] = "neighbour_up",
    [QMON_NEIGHBOUR_DOWN] = "neighbour_down",
    [QMON_ARC_ADDED] = "arc_added",
    [QMON_ARC_CHANGED] = "arc_changed",
    [QMON_ARC_REMOVED] = "arc_removed",
    [QMON_IDARC_ADDED] = "identity_arc_added",
    [QMON_IDARC_CHANGED] = "identity_arc_changed",
    [QMON_IDARC_REMOVED] = "identity_arc_removed",
    [QMON_QSPN_ARC_ADDED] = "qspn_arc_added",
    [QMON_QSPN_ARC_REMOVED] = "qspn_arc_removed",
    [QMON_PATH_ADDED] = "path_added",
    [QMON_PATH_CHANGED] = "path_changed",
    [QMON_PATH_REMOVED] = "path_removed",
    [QMON_IDENTITY_CREATED] = "identity_created",
    [QMON_IDENTITY_DISMISSED] = "identity_dismissed",
    [QMON_ADDRESS_CHANGED] = "address_changed",
    [QMON_IP_ADDRESS_ADDED] = "ip_address_added",
    [QMON_IP_ADDRESS_REMOVED] = "ip_address_removed",
    [QMON_KERNEL] = "kernel",
    [QMON_DAEMON_STOPPING] = "daemon_stopping",
};

static const char *const kop_results[] = { "ok", "error", "ignored" };

const char *qmon_type_name(qmon_type t)
{
    return (int)t >= 0 && t < QMON_N_TYPES ? type_names[t] : NULL;
}

void qmon_format_time(int64_t time_us, char *buf, size_t len)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
    int ms = (int)((time_us % G_USEC_PER_SEC + G_USEC_PER_SEC) % G_USEC_PER_SEC / 1000);
    gchar *s = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S") : NULL;
    g_snprintf(buf, len, "%s.%03dZ", s ? s : "1970-01-01T00:00:00", ms);
    g_free(s);
    if (dt)
        g_date_time_unref(dt);
}

/* s (at most max bytes, up to its NUL): valid UTF-8 characters kept, other
 * bytes become '?'; json: escaped for a JSON string, else control
 * characters become '?'. */
static void put_clean(GString *out, const char *s, size_t max, bool json)
{
    const char *p = s, *end = s + strnlen(s, max);
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append_c(out, '?');
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        if ((c < 0x20 || c == 0x7f) && json)
            g_string_append_printf(out, "\\u%04x", (unsigned)c);
        else if (c < 0x20 || c == 0x7f)
            g_string_append_c(out, '?');
        else if (json && (c == '"' || c == '\\'))
            g_string_append_printf(out, "\\%c", (char)c);
        else
            g_string_append_len(out, p, next - p);
        p = next;
    }
}

#define CLEAN(out, field, json) put_clean(out, field, sizeof(field), json)

/* ---- JSON ---------------------------------------------------------------------------- */

static void j_str(GString *out, const char *key, const char *s, size_t max)
{
    g_string_append_printf(out, ",\"%s\":\"", key);
    put_clean(out, s, max, true);
    g_string_append_c(out, '"');
}

#define J_STR(out, key, field) j_str(out, key, field, sizeof(field))

static void j_int(GString *out, const char *key, int64_t v)
{
    g_string_append_printf(out, ",\"%s\":%" PRId64, key, v);
}

static void j_hop(GString *out, const qmon_hop *h)
{
    g_string_append_printf(out, "{\"level\":%d,\"pos\":%d}", h->lvl, h->pos);
}

static void j_link(GString *out, const qmon_event *ev)
{
    J_STR(out, "dev", ev->dev);
    J_STR(out, "mac", ev->mac);
    J_STR(out, "peer_mac", ev->peer_mac);
    J_STR(out, "peer_linklocal", ev->peer_ll);
}

static void j_idarc(GString *out, const qmon_event *ev)
{
    j_int(out, "identity", ev->identity);
    j_int(out, "index", ev->idarc);
    j_int(out, "peer_nodeid", ev->peer_nodeid);
    J_STR(out, "peer_mac", ev->peer_mac);
    J_STR(out, "peer_linklocal", ev->peer_ll);
}

static void j_path(GString *out, const qmon_event *ev)
{
    j_int(out, "identity", ev->identity);
    g_string_append(out, ",\"destination\":");
    j_hop(out, &ev->dest);
    if (ev->type == QMON_PATH_REMOVED)
        return;
    j_int(out, "cost_us", ev->cost_us);
    j_int(out, "gateway_nodeid", ev->peer_nodeid);
    J_STR(out, "gateway", ev->peer_ll);
    J_STR(out, "dev", ev->dev);
    g_string_append(out, ",\"hops\":[");
    for (int i = 0; i < ev->n_hops && i < QMON_MAX_HOPS; i++) {
        if (i)
            g_string_append_c(out, ',');
        j_hop(out, &ev->hops[i]);
    }
    g_string_append_printf(out, "],\"hops_truncated\":%s", ev->hops_truncated ? "true" : "false");
}

static void j_identity(GString *out, const qmon_event *ev)
{
    j_int(out, "identity", ev->identity);
    j_int(out, "nodeid", ev->nodeid);
    j_str(out, "namespace", ev->netns[0] ? ev->netns : "default", sizeof ev->netns);
    if (ev->type != QMON_ADDRESS_CHANGED)
        return;
    if (ev->old_address[0])
        J_STR(out, "old_address", ev->old_address);
    else
        g_string_append(out, ",\"old_address\":null");
    J_STR(out, "address", ev->address);
    j_int(out, "connectivity_from", ev->conn_from);
    j_int(out, "connectivity_to", ev->conn_to);
}

static void j_kernel(GString *out, const qmon_event *ev)
{
    j_str(out, "netns", ev->netns[0] ? ev->netns : "default", sizeof ev->netns);
    if (ev->type != QMON_KERNEL) {
        J_STR(out, "ip", ev->ip);
        j_int(out, "prefix", ev->prefix);
        J_STR(out, "dev", ev->dev);
        return;
    }
    J_STR(out, "op", ev->op);
    g_string_append_printf(out, ",\"result\":\"%s\"", kop_results[ev->result % 3]);
    if (ev->result != QMON_KOP_OK)
        J_STR(out, "error", ev->error);
}

static void j_body(GString *out, const qmon_event *ev)
{
    switch (ev->type) {
    case QMON_NEIGHBOUR_UP:
        j_link(out, ev);
        j_int(out, "rtt_us", ev->rtt_us);
        break;
    case QMON_NEIGHBOUR_DOWN:
        j_link(out, ev);
        j_str(out, "reason", ev->reason ? ev->reason : "", 64);
        break;
    case QMON_ARC_ADDED:
    case QMON_ARC_CHANGED:
    case QMON_ARC_REMOVED:
        j_link(out, ev);
        j_int(out, "cost_us", ev->cost_us);
        if (ev->type == QMON_ARC_CHANGED)
            j_int(out, "old_cost_us", ev->old_cost_us);
        break;
    case QMON_IDARC_ADDED:
    case QMON_IDARC_CHANGED:
    case QMON_IDARC_REMOVED:
        j_idarc(out, ev);
        break;
    case QMON_QSPN_ARC_ADDED:
    case QMON_QSPN_ARC_REMOVED:
        j_idarc(out, ev);
        j_int(out, "table", ev->table);
        break;
    case QMON_PATH_ADDED:
    case QMON_PATH_CHANGED:
    case QMON_PATH_REMOVED:
        j_path(out, ev);
        break;
    case QMON_IDENTITY_CREATED:
    case QMON_IDENTITY_DISMISSED:
    case QMON_ADDRESS_CHANGED:
        j_identity(out, ev);
        break;
    case QMON_IP_ADDRESS_ADDED:
    case QMON_IP_ADDRESS_REMOVED:
    case QMON_KERNEL:
        j_kernel(out, ev);
        break;
    default:
        break;
    }
}

void qmon_format_json(const qmon_event *ev, GString *out)
{
    char ts[48];
    const char *name = qmon_type_name(ev->type);
    qmon_format_time(ev->time_us, ts, sizeof ts);
    g_string_append_printf(out, "{\"time\":\"%s\",\"seq\":%" PRIu64 ",\"type\":\"%s\"", ts, ev->seq,
                           name ? name : "unknown");
    if (name)
        j_body(out, ev);
    g_string_append_c(out, '}');
}

/* ---- text ------------------------------------------------------------------------------ */

static void t_link(GString *out, const qmon_event *ev)
{
    g_string_append_c(out, ' ');
    CLEAN(out, ev->dev, false);
    g_string_append_c(out, ' ');
    CLEAN(out, ev->mac, false);
    g_string_append_c(out, '-');
    CLEAN(out, ev->peer_mac, false);
    g_string_append(out, " peer ");
    CLEAN(out, ev->peer_ll, false);
}

static void t_idarc(GString *out, const qmon_event *ev)
{
    g_string_append_printf(out, " #%d of identity #%d to nodeid %" PRIu32 " (", ev->idarc, ev->identity,
                           ev->peer_nodeid);
    CLEAN(out, ev->peer_mac, false);
    g_string_append_c(out, ' ');
    CLEAN(out, ev->peer_ll, false);
    g_string_append_c(out, ')');
    if (ev->type == QMON_QSPN_ARC_ADDED || ev->type == QMON_QSPN_ARC_REMOVED)
        g_string_append_printf(out, " table %d", ev->table);
}

static void t_path(GString *out, const qmon_event *ev)
{
    g_string_append_printf(out, " identity #%d to (%d,%d)", ev->identity, ev->dest.lvl, ev->dest.pos);
    if (ev->type == QMON_PATH_REMOVED)
        return;
    g_string_append_printf(out, " cost %" PRIu32 "us via nodeid %" PRIu32 " ", ev->cost_us, ev->peer_nodeid);
    CLEAN(out, ev->peer_ll, false);
    g_string_append(out, " dev ");
    CLEAN(out, ev->dev, false);
    g_string_append(out, " hops");
    for (int i = 0; i < ev->n_hops && i < QMON_MAX_HOPS; i++)
        g_string_append_printf(out, " (%d,%d)", ev->hops[i].lvl, ev->hops[i].pos);
    if (ev->hops_truncated)
        g_string_append(out, " ...");
}

static void t_identity(GString *out, const qmon_event *ev)
{
    g_string_append_printf(out, " #%d nodeid %" PRIu32 " namespace ", ev->identity, ev->nodeid);
    put_clean(out, ev->netns[0] ? ev->netns : "default", sizeof ev->netns, false);
    if (ev->type != QMON_ADDRESS_CHANGED)
        return;
    g_string_append_c(out, ' ');
    put_clean(out, ev->old_address[0] ? ev->old_address : "none", sizeof ev->old_address, false);
    g_string_append(out, " -> ");
    CLEAN(out, ev->address, false);
    if (ev->conn_from || ev->conn_to)
        g_string_append_printf(out, " (connectivity %d..%d)", ev->conn_from, ev->conn_to);
}

static void t_kernel(GString *out, const qmon_event *ev)
{
    if (ev->netns[0]) {
        g_string_append(out, " [");
        CLEAN(out, ev->netns, false);
        g_string_append_c(out, ']');
    }
    if (ev->type != QMON_KERNEL) {
        g_string_append_c(out, ' ');
        CLEAN(out, ev->ip, false);
        g_string_append_printf(out, "/%d dev ", ev->prefix);
        CLEAN(out, ev->dev, false);
        return;
    }
    g_string_append_printf(out, " %s: ", kop_results[ev->result % 3]);
    CLEAN(out, ev->op, false);
    if (ev->result != QMON_KOP_OK) {
        g_string_append(out, ": ");
        CLEAN(out, ev->error, false);
    }
}

static void t_body(GString *out, const qmon_event *ev)
{
    switch (ev->type) {
    case QMON_NEIGHBOUR_UP:
        t_link(out, ev);
        g_string_append_printf(out, " rtt %" PRId64 "us", ev->rtt_us);
        break;
    case QMON_NEIGHBOUR_DOWN:
        t_link(out, ev);
        g_string_append(out, " (");
        put_clean(out, ev->reason ? ev->reason : "", 64, false);
        g_string_append_c(out, ')');
        break;
    case QMON_ARC_ADDED:
    case QMON_ARC_CHANGED:
    case QMON_ARC_REMOVED:
        t_link(out, ev);
        if (ev->type == QMON_ARC_CHANGED)
            g_string_append_printf(out, " cost %" PRIu32 "us -> %" PRIu32 "us", ev->old_cost_us, ev->cost_us);
        else
            g_string_append_printf(out, " cost %" PRIu32 "us", ev->cost_us);
        break;
    case QMON_IDARC_ADDED:
    case QMON_IDARC_CHANGED:
    case QMON_IDARC_REMOVED:
    case QMON_QSPN_ARC_ADDED:
    case QMON_QSPN_ARC_REMOVED:
        t_idarc(out, ev);
        break;
    case QMON_PATH_ADDED:
    case QMON_PATH_CHANGED:
    case QMON_PATH_REMOVED:
        t_path(out, ev);
        break;
    case QMON_IDENTITY_CREATED:
    case QMON_IDENTITY_DISMISSED:
    case QMON_ADDRESS_CHANGED:
        t_identity(out, ev);
        break;
    default:
        t_kernel(out, ev);
        break;
    }
}

/* "neighbour_up" -> "neighbour up", "qspn_arc_added" -> "qspn-arc added" */
static void t_name(GString *out, const char *name)
{
    const char *last = strrchr(name, '_');
    for (const char *p = name; *p; p++)
        g_string_append_c(out, *p != '_' ? *p : p == last ? ' ' : '-');
}

void qmon_format_text(const qmon_event *ev, GString *out)
{
    char ts[48];
    const char *name = qmon_type_name(ev->type);
    qmon_format_time(ev->time_us, ts, sizeof ts);
    g_string_append_printf(out, "%s ", ts);
    if (!name) {
        g_string_append(out, "unknown event");
        return;
    }
    if (ev->type == QMON_KERNEL || ev->type == QMON_DAEMON_STOPPING)
        g_string_append(out, ev->type == QMON_KERNEL ? "kernel" : "qspnd stopping");
    else
        t_name(out, name);
    if (ev->type != QMON_DAEMON_STOPPING)
        t_body(out, ev);
}
