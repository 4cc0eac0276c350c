/* signals.c - delivery of the signals of spec §4.1 to the user: one
 * qspn_event per signal, to env.on_event, or (when it is NULL) to the
 * deprecated per-signal callbacks of env.sig. */
#include "manager_ops.h"

static void legacy(qspn_manager *m, const qspn_event *e)
{
    const qspn_signals *s = &m->env.sig;
    void *u = m->env.user;
    switch (e->kind) {
    case QSPN_EV_BOOTSTRAP_COMPLETE:
        if (s->bootstrap_complete)
            s->bootstrap_complete(u, m);
        break;
    case QSPN_EV_PRESENCE_NOTIFIED:
        if (s->presence_notified)
            s->presence_notified(u, m);
        break;
    case QSPN_EV_REMOVE_IDENTITY:
        if (s->remove_identity)
            s->remove_identity(u, m);
        break;
    case QSPN_EV_ARC_REMOVED:
        if (s->arc_removed)
            s->arc_removed(u, m, e->arc, e->bad_link);
        break;
    case QSPN_EV_DESTINATION_ADDED:
        if (s->destination_added)
            s->destination_added(u, m, e->dest);
        break;
    case QSPN_EV_DESTINATION_REMOVED:
        if (s->destination_removed)
            s->destination_removed(u, m, e->dest);
        break;
    case QSPN_EV_PATH_ADDED:
        if (s->path_added)
            s->path_added(u, m, e->path);
        break;
    case QSPN_EV_PATH_CHANGED:
        if (s->path_changed)
            s->path_changed(u, m, e->path);
        break;
    case QSPN_EV_PATH_REMOVED:
        if (s->path_removed)
            s->path_removed(u, m, e->path);
        break;
    case QSPN_EV_CHANGED_FP:
        if (s->changed_fp)
            s->changed_fp(u, m, e->level);
        break;
    case QSPN_EV_CHANGED_NODES_INSIDE:
        if (s->changed_nodes_inside)
            s->changed_nodes_inside(u, m, e->level);
        break;
    case QSPN_EV_GNODE_SPLITTED:
        if (s->gnode_splitted)
            s->gnode_splitted(u, m, e->arc, e->dest, e->fp);
        break;
    }
}

static void deliver(qspn_manager *m, const qspn_event *e)
{
    if (m->env.on_event)
        m->env.on_event(m->env.user, m, e);
    else
        legacy(m, e);
}

static qspn_event event_of(int kind)
{
    qspn_event e = {0};
    e.kind = (qspn_event_kind)kind;
    e.dest = (ntk_hcoord){-1, -1};
    e.level = -1;
    return e;
}

void qspn_emit_simple(qspn_manager *m, int kind)
{
    qspn_event e = event_of(kind);
    deliver(m, &e);
}

void qspn_emit_arc_removed(qspn_manager *m, void *arc, bool bad_link)
{
    qspn_event e = event_of(QSPN_EV_ARC_REMOVED);
    e.arc = arc;
    e.bad_link = bad_link;
    deliver(m, &e);
}

void qspn_emit_dest(qspn_manager *m, int kind, ntk_hcoord d)
{
    qspn_event e = event_of(kind);
    e.dest = d;
    deliver(m, &e);
}

void qspn_emit_path(qspn_manager *m, int kind, const nodepath *np)
{
    qspn_path_view v;
    qspn_view_of(m, np, &v);
    qspn_event e = event_of(kind);
    e.path = &v;
    e.dest = (ntk_hcoord){v.hops[v.n_hops - 1].lvl, v.hops[v.n_hops - 1].pos};
    e.arc = v.arc;
    deliver(m, &e);
}

void qspn_emit_level(qspn_manager *m, int kind, int level)
{
    qspn_event e = event_of(kind);
    e.level = level;
    deliver(m, &e);
}

void qspn_emit_split(qspn_manager *m, void *arc, ntk_hcoord d, const qspn_fp *fp)
{
    qspn_event e = event_of(QSPN_EV_GNODE_SPLITTED);
    e.arc = arc;
    e.dest = d;
    e.fp = fp;
    deliver(m, &e);
}
