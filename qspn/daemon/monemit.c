/* monemit.c - what the running system reports to `qspnctl monitor`: each
 * emitter turns a model change into a qmon_event (monevent.h) and hands it to
 * the subscribers (monitor.c).  Nothing is built when nobody listens.  Best
 * paths are compared after every namespace sync with the last ones seen
 * (q->mon_paths), so one event reports one change of the path a packet takes,
 * whatever the number of QSPN signals behind it. */
#include "monitor.h"

#include <string.h>

#define QMON_MAX_DESTS 4096            /* destinations looked at per level */

static qmon_event *new_event(qsys *s, qmon_type t)
{
    if (!s || qmon_subscribers(s->mon) == 0)
        return NULL;
    qmon_event *ev = g_new0(qmon_event, 1);
    ev->type = t;
    return ev;
}

static void emit(qsys *s, qmon_event *ev)
{
    qmon_emit(s->mon, ev);
    g_free(ev);
}

static void link_fields(qsys *s, qmon_event *ev, int nic, const nmsg_mac *peer, uint32_t peer_ll)
{
    const nbr_nic *n = nbr_nic_at(s->nbr, nic);
    if (n) {
        g_strlcpy(ev->dev, n->dev, sizeof ev->dev);
        nmsg_mac_format(&n->mac, ev->mac, sizeof ev->mac);
    }
    nmsg_mac_format(peer, ev->peer_mac, sizeof ev->peer_mac);
    ntk_ip_format(peer_ll, ev->peer_ll, sizeof ev->peer_ll);
}

void qmon_neighbour(qsys *s, bool up, const nbr_arc *a, const char *reason)
{
    qmon_event *ev = new_event(s, up ? QMON_NEIGHBOUR_UP : QMON_NEIGHBOUR_DOWN);
    if (!ev)
        return;
    link_fields(s, ev, a->nic, &a->peer_mac, a->peer_ll);
    ev->rtt_us = a->rtt_us < 0 ? 0 : a->rtt_us;
    ev->reason = reason;
    emit(s, ev);
}

void qmon_real_arc(qsys *s, qmon_type t, const qreal *r, uint32_t old_cost)
{
    qmon_event *ev = new_event(s, t);
    if (!ev)
        return;
    link_fields(s, ev, r->nic, &r->peer_mac, r->peer_ll);
    ev->cost_us = r->cost;
    ev->old_cost_us = old_cost;
    emit(s, ev);
}

void qmon_idarc(qsys *s, qmon_type t, const idm_idarc *w, int table)
{
    qmon_event *ev = new_event(s, t);
    if (!ev)
        return;
    ev->identity = w->owner->index;
    ev->idarc = w->index;
    ev->peer_nodeid = w->peer_nodeid;
    nmsg_mac_format(&w->peer_mac, ev->peer_mac, sizeof ev->peer_mac);
    ntk_ip_format(w->peer_ll, ev->peer_ll, sizeof ev->peer_ll);
    ev->table = table;
    emit(s, ev);
}

static qmon_event *identity_event(qsys *s, qmon_type t, const qid *q)
{
    qmon_event *ev = new_event(s, t);
    if (!ev)
        return NULL;
    ev->identity = q->ident->index;
    ev->nodeid = q->ident->nodeid;
    g_strlcpy(ev->netns, q->ident->ns, sizeof ev->netns);
    return ev;
}

void qmon_identity(qsys *s, qmon_type t, const qid *q)
{
    qmon_event *ev = identity_event(s, t, q);
    if (ev)
        emit(s, ev);
}

void qmon_address(qsys *s, const qid *q, const ntk_naddr *old)
{
    qmon_event *ev = identity_event(s, QMON_ADDRESS_CHANGED, q);
    if (!ev)
        return;
    if (old && old->levels > 0)
        ntk_naddr_format(old, ".", ev->old_address, sizeof ev->old_address);
    ntk_naddr_format(&q->addr, ".", ev->address, sizeof ev->address);
    ev->conn_from = q->conn_from;
    ev->conn_to = q->conn_to;
    emit(s, ev);
}

/* ---- best paths ------------------------------------------------------------------------ */

typedef struct {
    uint32_t cost;
    uint32_t gw_nodeid;
    uint32_t gw_ll;
    int n_hops;
    qmon_hop hops[QMON_MAX_HOPS];
} best_seen;

static gpointer dest_key(ntk_hcoord d)
{
    return GUINT_TO_POINTER(((guint)d.lvl << 16) | ((guint)d.pos & 0xFFFF));
}

/* The best path to d as the kernel follows it (false: none, or its arc is gone). */
static bool best_of(qid *q, ntk_hcoord d, best_seen *b, char *dev, size_t devlen)
{
    qspn_path_view v;
    if (!qspn_best_path_avoiding(q->m, d, NULL, &v))
        return false;
    const qwarc *a = v.arc;
    if (!a || !a->w)
        return false;
    memset(b, 0, sizeof *b);
    b->cost = v.cost;
    b->gw_nodeid = a->w->peer_nodeid;
    b->gw_ll = a->w->peer_ll;
    b->n_hops = v.n_hops;
    for (int i = 0; i < v.n_hops && i < QMON_MAX_HOPS; i++) {
        b->hops[i].lvl = v.hops[i].lvl;
        b->hops[i].pos = v.hops[i].pos;
    }
    const idm_arc *pa = idm_arc_get(q->sys->idm, a->w->arc);
    g_strlcpy(dev, pa ? q->ident->nics[pa->nic].dev : "", devlen);
    return true;
}

static void path_event(qid *q, qmon_type t, ntk_hcoord d, const best_seen *b, const char *dev)
{
    qmon_event *ev = new_event(q->sys, t);
    if (!ev)
        return;
    ev->identity = q->ident->index;
    ev->dest.lvl = d.lvl;
    ev->dest.pos = d.pos;
    if (b) {
        ev->cost_us = b->cost;
        ev->peer_nodeid = b->gw_nodeid;
        ntk_ip_format(b->gw_ll, ev->peer_ll, sizeof ev->peer_ll);
        g_strlcpy(ev->dev, dev, sizeof ev->dev);
        ev->n_hops = b->n_hops < QMON_MAX_HOPS ? b->n_hops : QMON_MAX_HOPS;
        ev->hops_truncated = b->n_hops > QMON_MAX_HOPS;
        memcpy(ev->hops, b->hops, sizeof ev->hops);
    }
    emit(q->sys, ev);
}

/* Compare the best paths of every known destination with seen; fill now. */
static void compare_level(qid *q, int lvl, ntk_hcoord *d, GHashTable *seen, GHashTable *now, bool report)
{
    int nd = qspn_get_known_destinations(q->m, lvl, d, QMON_MAX_DESTS);
    for (int i = 0; i < nd && i < QMON_MAX_DESTS; i++) {
        best_seen b;
        char dev[IDM_DEVLEN];
        if (!best_of(q, d[i], &b, dev, sizeof dev))
            continue;
        const best_seen *old = seen ? g_hash_table_lookup(seen, dest_key(d[i])) : NULL;
        if (report && !old)
            path_event(q, QMON_PATH_ADDED, d[i], &b, dev);
        else if (report && memcmp(old, &b, sizeof b) != 0)
            path_event(q, QMON_PATH_CHANGED, d[i], &b, dev);
        g_hash_table_insert(now, dest_key(d[i]), g_memdup2(&b, sizeof b));
    }
}

static void update_paths(qid *q, bool report)
{
    GHashTable *now = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    ntk_hcoord *d = g_new(ntk_hcoord, QMON_MAX_DESTS);
    for (int lvl = 0; q->m && lvl < qspn_levels(q->m); lvl++)
        compare_level(q, lvl, d, q->mon_paths, now, report);
    g_free(d);
    if (q->mon_paths) {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, q->mon_paths);
        while (report && g_hash_table_iter_next(&it, &key, NULL))
            if (!g_hash_table_contains(now, key)) {
                guint k = GPOINTER_TO_UINT(key);
                ntk_hcoord hc = { (int)(k >> 16), (int)(k & 0xFFFF) };
                path_event(q, QMON_PATH_REMOVED, hc, NULL, "");
            }
        g_hash_table_destroy(q->mon_paths);
    }
    q->mon_paths = now;
}

void qmon_paths(qid *q)
{
    if (!q || !q->sys || !q->m || q->dismissing || qmon_subscribers(q->sys->mon) == 0)
        return;
    update_paths(q, true);
}

void qmon_paths_prime(qid *q)
{
    if (q && q->sys && q->m && !q->dismissing) {
        if (q->mon_paths)
            g_hash_table_destroy(q->mon_paths);
        q->mon_paths = NULL;
        update_paths(q, false);
    }
}
