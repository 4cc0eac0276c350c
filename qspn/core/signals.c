/* signals.c - delivery of the signals of spec §4.1 to the user. Every signal
 * of the core goes through these functions. */
#include "manager_ops.h"

void qspn_emit_simple(qspn_manager *m, int kind)
{
    const qspn_signals *s = &m->env.sig;
    if (kind == QSPN_EV_BOOTSTRAP_COMPLETE && s->bootstrap_complete)
        s->bootstrap_complete(m->env.user, m);
    else if (kind == QSPN_EV_PRESENCE_NOTIFIED && s->presence_notified)
        s->presence_notified(m->env.user, m);
    else if (kind == QSPN_EV_REMOVE_IDENTITY && s->remove_identity)
        s->remove_identity(m->env.user, m);
}

void qspn_emit_arc_removed(qspn_manager *m, void *arc, bool bad_link)
{
    if (m->env.sig.arc_removed)
        m->env.sig.arc_removed(m->env.user, m, arc, bad_link);
}

void qspn_emit_dest(qspn_manager *m, int kind, ntk_hcoord d)
{
    const qspn_signals *s = &m->env.sig;
    if (kind == QSPN_EV_DESTINATION_ADDED && s->destination_added)
        s->destination_added(m->env.user, m, d);
    else if (kind == QSPN_EV_DESTINATION_REMOVED && s->destination_removed)
        s->destination_removed(m->env.user, m, d);
}

void qspn_emit_path(qspn_manager *m, int kind, const nodepath *np)
{
    const qspn_signals *s = &m->env.sig;
    void (*cb)(void *, qspn_manager *, const qspn_path_view *) =
        kind == QSPN_EV_PATH_ADDED     ? s->path_added
        : kind == QSPN_EV_PATH_CHANGED ? s->path_changed
        : kind == QSPN_EV_PATH_REMOVED ? s->path_removed
                                       : NULL;
    if (!cb)
        return;
    qspn_path_view v;
    qspn_view_of(m, np, &v);
    cb(m->env.user, m, &v);
}

void qspn_emit_level(qspn_manager *m, int kind, int level)
{
    const qspn_signals *s = &m->env.sig;
    if (kind == QSPN_EV_CHANGED_FP && s->changed_fp)
        s->changed_fp(m->env.user, m, level);
    else if (kind == QSPN_EV_CHANGED_NODES_INSIDE && s->changed_nodes_inside)
        s->changed_nodes_inside(m->env.user, m, level);
}

void qspn_emit_split(qspn_manager *m, void *arc, ntk_hcoord d, const qspn_fp *fp)
{
    if (m->env.sig.gnode_splitted)
        m->env.sig.gnode_splitted(m->env.user, m, arc, d, fp);
}
