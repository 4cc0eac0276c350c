/* idm.c - identities, identity-arcs and duplications (pure bookkeeping). */
#include "idm.h"

#include <string.h>

struct idm {
    idm_signals sig;
    void *user;
    GPtrArray *ids;                    /* idm_identity*, creation order */
    int next_index;
    int n_nics;
    GArray *arcs;                      /* idm_arc */
    GPtrArray *migrations;             /* idm_migration* */
    idm_identity *main_id;
};

static void free_idarc(gpointer p)
{
    g_free(p);
}

static idm_identity *new_identity(idm *m, uint32_t nodeid)
{
    idm_identity *id = g_new0(idm_identity, 1);
    id->index = m->next_index++;
    id->nodeid = nodeid;
    id->arcs = g_ptr_array_new_with_free_func(free_idarc);
    g_ptr_array_add(m->ids, id);
    return id;
}

static void free_identity(gpointer p)
{
    idm_identity *id = p;
    g_ptr_array_free(id->arcs, TRUE);
    g_free(id);
}

idm *idm_new(const idm_signals *sig, void *user)
{
    idm *m = g_new0(idm, 1);
    if (sig)
        m->sig = *sig;
    m->user = user;
    m->ids = g_ptr_array_new_with_free_func(free_identity);
    m->arcs = g_array_new(FALSE, TRUE, sizeof(idm_arc));
    m->migrations = g_ptr_array_new_with_free_func(g_free);
    return m;
}

void idm_free(idm *m)
{
    if (!m)
        return;
    g_ptr_array_free(m->ids, TRUE);
    g_array_free(m->arcs, TRUE);
    g_ptr_array_free(m->migrations, TRUE);
    g_free(m);
}

idm_identity *idm_create_main(idm *m, uint32_t nodeid, const idm_nic *nics, int n_nics)
{
    if (m->main_id || n_nics < 0 || n_nics > IDM_MAX_NICS)
        return NULL;
    idm_identity *id = new_identity(m, nodeid);
    m->n_nics = n_nics;
    for (int i = 0; i < n_nics; i++)
        id->nics[i] = nics[i];
    m->main_id = id;
    return id;
}

idm_identity *idm_main(const idm *m)
{
    return m->main_id;
}

int idm_n_identities(const idm *m)
{
    return (int)m->ids->len;
}

idm_identity *idm_identity_at(const idm *m, int i)
{
    return i >= 0 && (guint)i < m->ids->len ? g_ptr_array_index(m->ids, i) : NULL;
}

idm_identity *idm_by_index(const idm *m, int index)
{
    for (guint i = 0; i < m->ids->len; i++) {
        idm_identity *id = g_ptr_array_index(m->ids, i);
        if (id->index == index)
            return id;
    }
    return NULL;
}

idm_identity *idm_by_nodeid(const idm *m, uint32_t nodeid)
{
    for (guint i = 0; i < m->ids->len; i++) {
        idm_identity *id = g_ptr_array_index(m->ids, i);
        if (id->nodeid == nodeid)
            return id;
    }
    return NULL;
}

bool idm_is_main(const idm *m, const idm_identity *id)
{
    return id && id == m->main_id;
}

bool idm_nodeid_in_use(const idm *m, uint32_t nodeid)
{
    for (guint i = 0; i < m->ids->len; i++) {
        idm_identity *id = g_ptr_array_index(m->ids, i);
        if (id->nodeid == nodeid)
            return true;
        for (guint j = 0; j < id->arcs->len; j++)
            if (((idm_idarc *)g_ptr_array_index(id->arcs, j))->peer_nodeid == nodeid)
                return true;
    }
    return false;
}

int idm_n_nics(const idm *m)
{
    return m->n_nics;
}

/* ---- physical arcs --------------------------------------------------------------- */

bool idm_add_arc(idm *m, const idm_arc *a)
{
    if (idm_arc_get(m, a->id) || a->nic < 0 || a->nic >= m->n_nics)
        return false;
    g_array_append_val(m->arcs, *a);
    return true;
}

const idm_arc *idm_arc_get(const idm *m, uint64_t arc)
{
    for (guint i = 0; i < m->arcs->len; i++)
        if (g_array_index(m->arcs, idm_arc, i).id == arc)
            return &g_array_index(m->arcs, idm_arc, i);
    return NULL;
}

int idm_n_arcs(const idm *m)
{
    return (int)m->arcs->len;
}

const idm_arc *idm_arc_at(const idm *m, int i)
{
    return i >= 0 && (guint)i < m->arcs->len ? &g_array_index(m->arcs, idm_arc, i) : NULL;
}

void idm_remove_arc(idm *m, uint64_t arc)
{
    for (guint i = 0; i < m->ids->len; i++) {
        idm_identity *id = g_ptr_array_index(m->ids, i);
        for (guint j = 0; j < id->arcs->len;) {
            idm_idarc *w = g_ptr_array_index(id->arcs, j);
            if (w->arc == arc)
                idm_remove_idarc(m, w, true);
            else
                j++;
        }
    }
    for (guint i = 0; i < m->arcs->len; i++)
        if (g_array_index(m->arcs, idm_arc, i).id == arc) {
            g_array_remove_index(m->arcs, i);
            break;
        }
}

/* ---- identity-arcs ------------------------------------------------------------------ */

bool idm_idarc_is_main(const idm *m, const idm_idarc *w)
{
    const idm_arc *a = idm_arc_get(m, w->arc);
    return a && w->owner == m->main_id && w->peer_ll == a->peer_ll;
}

static idm_idarc *make_idarc(idm_identity *id, uint64_t arc, uint32_t peer_nodeid,
                             const nmsg_mac *peer_mac, uint32_t peer_ll)
{
    idm_idarc *w = g_new0(idm_idarc, 1);
    w->arc = arc;
    w->index = id->next_arc_index++;
    w->owner = id;
    w->peer_nodeid = peer_nodeid;
    w->peer_mac = *peer_mac;
    w->peer_ll = peer_ll;
    g_ptr_array_add(id->arcs, w);
    return w;
}

idm_idarc *idm_add_idarc(idm *m, idm_identity *id, uint64_t arc, uint32_t peer_nodeid,
                         const nmsg_mac *peer_mac, uint32_t peer_ll)
{
    if (!id || !idm_arc_get(m, arc) || idm_find_idarc(m, id, arc, peer_nodeid))
        return NULL;
    idm_idarc *w = make_idarc(id, arc, peer_nodeid, peer_mac, peer_ll);
    if (m->sig.idarc_added)
        m->sig.idarc_added(m->user, w, NULL);
    return w;
}

idm_idarc *idm_find_idarc(const idm *m, const idm_identity *id, uint64_t arc, uint32_t peer_nodeid)
{
    (void)m;
    if (!id)
        return NULL;
    for (guint j = 0; j < id->arcs->len; j++) {
        idm_idarc *w = g_ptr_array_index(id->arcs, j);
        if (w->arc == arc && w->peer_nodeid == peer_nodeid)
            return w;
    }
    return NULL;
}

idm_idarc *idm_find_idarc_by_mac(const idm *m, const idm_identity *id, int nic, const nmsg_mac *peer_mac)
{
    if (!id)
        return NULL;
    for (guint j = 0; j < id->arcs->len; j++) {
        idm_idarc *w = g_ptr_array_index(id->arcs, j);
        const idm_arc *a = idm_arc_get(m, w->arc);
        if (a && a->nic == nic && nmsg_mac_equal(&w->peer_mac, peer_mac))
            return w;
    }
    return NULL;
}

idm_idarc *idm_idarc_by_index(const idm *m, const idm_identity *id, int index)
{
    (void)m;
    if (!id)
        return NULL;
    for (guint j = 0; j < id->arcs->len; j++) {
        idm_idarc *w = g_ptr_array_index(id->arcs, j);
        if (w->index == index)
            return w;
    }
    return NULL;
}

void idm_remove_idarc(idm *m, idm_idarc *w, bool signal_removing)
{
    if (signal_removing && m->sig.idarc_removing)
        m->sig.idarc_removing(m->user, w);
    if (m->sig.idarc_removed)
        m->sig.idarc_removed(m->user, w);
    g_ptr_array_remove(w->owner->arcs, w);     /* frees w */
}

/* ---- duplication ----------------------------------------------------------------------- */

idm_migration *idm_prepare_add_identity(idm *m, uint32_t migration_id, idm_identity *old,
                                        int64_t now_us, int64_t lifetime_us)
{
    if (!old || g_ptr_array_find(m->ids, old, NULL) == FALSE ||
        idm_find_migration(m, migration_id, old->nodeid))
        return NULL;
    idm_migration *mg = g_new0(idm_migration, 1);
    mg->migration_id = migration_id;
    mg->old_id = old->nodeid;
    mg->expires_us = now_us + lifetime_us;
    g_ptr_array_add(m->migrations, mg);
    return mg;
}

idm_migration *idm_find_migration(const idm *m, uint32_t migration_id, uint32_t old_nodeid)
{
    for (guint i = 0; i < m->migrations->len; i++) {
        idm_migration *mg = g_ptr_array_index(m->migrations, i);
        if (mg->migration_id == migration_id && mg->old_id == old_nodeid)
            return mg;
    }
    return NULL;
}

void idm_expire_migrations(idm *m, int64_t now_us)
{
    for (guint i = 0; i < m->migrations->len;) {
        idm_migration *mg = g_ptr_array_index(m->migrations, i);
        if (now_us >= mg->expires_us)
            g_ptr_array_remove_index(m->migrations, i);
        else
            i++;
    }
}

int64_t idm_next_migration_expiry(const idm *m)
{
    int64_t next = INT64_MAX;
    for (guint i = 0; i < m->migrations->len; i++) {
        const idm_migration *mg = g_ptr_array_index(m->migrations, i);
        if (mg->expires_us < next)
            next = mg->expires_us;
    }
    return next;
}

idm_identity *idm_add_identity(idm *m, idm_migration *mig, uint32_t new_nodeid, const char *new_ns,
                               const idm_nic *pseudo)
{
    idm_identity *old = idm_by_nodeid(m, mig->old_id);
    if (!old || mig->ready || !new_ns || strlen(new_ns) >= IDM_NSLEN || !new_ns[0])
        return NULL;
    idm_identity *nid = new_identity(m, new_nodeid);
    mig->new_id = new_nodeid;
    /* the new identity inherits the namespace and the interfaces */
    memcpy(nid->ns, old->ns, sizeof nid->ns);
    g_strlcpy(old->ns, new_ns, sizeof old->ns);
    if (m->main_id == old)
        m->main_id = nid;
    for (int i = 0; i < m->n_nics; i++) {
        if (!old->nics[i].dev[0])
            continue;
        nid->nics[i] = old->nics[i];
        old->nics[i] = pseudo[i];
        mig->has_dev[i] = true;
        mig->devices[i] = pseudo[i];
    }
    mig->ready = true;
    return nid;
}

idm_idarc *idm_duplicate_idarc(idm *m, idm_identity *new_id, idm_idarc *w0, const nmsg_dupdata *dup)
{
    idm_idarc *w1 = make_idarc(new_id, w0->arc, w0->peer_nodeid, &w0->peer_mac, w0->peer_ll);
    nmsg_mac old_mac = w0->peer_mac;
    uint32_t old_ll = w0->peer_ll;
    if (dup && dup->present) {
        w0->peer_mac = dup->peer_old_id_new_mac;
        w0->peer_ll = dup->peer_old_id_new_ll;
        w1->peer_nodeid = dup->peer_new_id;
    }
    if (m->sig.idarc_added)
        m->sig.idarc_added(m->user, w1, w0);
    if (dup && dup->present && m->sig.idarc_changed)
        m->sig.idarc_changed(m->user, w0, &old_mac, old_ll, false);
    return w1;
}

idm_idarc *idm_neighbour_migrated(idm *m, idm_identity *my, uint64_t arc, uint32_t peer_old,
                                  uint32_t peer_new, const nmsg_mac *mac, uint32_t ll)
{
    idm_idarc *old = idm_find_idarc(m, my, arc, peer_old);
    if (!old || idm_find_idarc(m, my, arc, peer_new))
        return NULL;
    idm_idarc *nw = make_idarc(my, arc, peer_new, &old->peer_mac, old->peer_ll);
    nmsg_mac old_mac = old->peer_mac;
    uint32_t old_ll = old->peer_ll;
    old->peer_mac = *mac;
    old->peer_ll = ll;
    if (m->sig.idarc_changed)
        m->sig.idarc_changed(m->user, old, &old_mac, old_ll, true);
    if (m->sig.idarc_added)
        m->sig.idarc_added(m->user, nw, NULL);
    return nw;
}

void idm_remove_identity(idm *m, idm_identity *id)
{
    if (!id || id == m->main_id)
        return;
    g_ptr_array_remove(m->ids, id);            /* frees it and its identity-arcs */
}

bool idm_willing(int conn_to, const int *mine, const int *other, int levels)
{
    if (conn_to <= 0)
        return true;
    for (int l = conn_to; l < levels; l++)
        if (mine[l] != other[l])
            return false;
    return true;
}
