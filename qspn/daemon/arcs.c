/* arcs.c - arcs and identity-arcs at run time: the neighbourhood's events,
 * the arcs the operator accepted, the Identities module's signals (qspn-arcs
 * and their tables follow them), and the requests neighbours send about
 * identities (identities-neighborhood.md §4.5-§4.9). */
#include "system.h"

#include "monitor.h"

#include <string.h>

#define DOMAIN "qspnd"
#define MATCH_READY_WAIT_MS 10000      /* [R]: the wait for "ready" is bounded */

/* ---- accepted arcs ---------------------------------------------------------------- */

qreal *qsys_real(qsys *s, uint64_t id)
{
    for (guint i = 0; i < s->reals->len; i++) {
        qreal *r = g_ptr_array_index(s->reals, i);
        if (r->id == id)
            return r;
    }
    return NULL;
}

qreal *qsys_real_by_macs(qsys *s, const nmsg_mac *mine, const nmsg_mac *peer)
{
    for (guint i = 0; i < s->reals->len; i++) {
        qreal *r = g_ptr_array_index(s->reals, i);
        const nbr_nic *n = nbr_nic_at(s->nbr, r->nic);
        if (n && nmsg_mac_equal(&n->mac, mine) && nmsg_mac_equal(&r->peer_mac, peer))
            return r;
    }
    return NULL;
}

/* The arc is no longer accepted: every identity-arc on it goes (and with them
 * the qspn-arcs and their tables). */
void qsys_forget_real(qsys *s, qreal *r)
{
    qmon_real_arc(s, QMON_ARC_REMOVED, r, 0);
    idm_remove_arc(s->idm, r->id);
    g_ptr_array_remove(s->reals, r);
    g_free(r);
    qsys_sync_rt_tables(s);
    qsys_schedule_all(s);
}

/* ---- neighbourhood events ----------------------------------------------------------- */

void qsys_on_nbr_event(void *user, nbr_event ev, const nbr_arc *a, nbr_down_reason why)
{
    qsys *s = user;
    char mine[24], peer[24], ll[NTK_STRLEN];
    nmsg_mac_format(&nbr_nic_at(s->nbr, a->nic)->mac, mine, sizeof mine);
    nmsg_mac_format(&a->peer_mac, peer, sizeof peer);
    ntk_ip_format(a->peer_ll, ll, sizeof ll);
    if (ev == NBR_ARC_UP) {
        g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                         "neighborhood_arc '%s-%s': peer_linklocal %s, cost %lldus", mine, peer, ll,
                         (long long)(a->rtt_us < 0 ? 0 : a->rtt_us));
        qmon_neighbour(s, true, a, NULL);
    } else {
        static const char *const whys[] = { "silent", "no longer hears us", "said goodbye", "removed" };
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "Neighborhood module: neighborhood_arc `%s-%s` has been removed (%s).", mine,
                         peer, whys[why]);
        qmon_neighbour(s, false, a, whys[why]);
        qreal *r = qsys_real(s, a->id);
        if (r)
            qsys_forget_real(s, r);
        if (s->tcp)
            tl_forget(s->tcp, a->peer_ll);
        rpc_fail_peer(s, a->peer_ll);
    }
    qns_schedule(g_ptr_array_index(s->spaces, 0));
}

/* ---- the Identities module's signals ------------------------------------------------------ */

static void sig_added(void *user, idm_idarc *w, idm_idarc *prev)
{
    qsys *s = user;
    qid *q = w->owner->user;
    qwarc *a = g_new0(qwarc, 1);
    a->owner = q;
    a->w = w;
    w->user = a;
    if (q)
        g_ptr_array_add(q->handles, a);
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                     "An identity-arc has been added: #%d of local_identity #%d to nodeid %u.", w->index,
                     w->owner->index, w->peer_nodeid);
    qmon_idarc(s, QMON_IDARC_ADDED, w, 0);
    if (q)
        qns_schedule(q->ns);
    (void)prev;
}

/* The peer identity moved to another interface.  A qspn-arc's table follows
 * the MAC (behaviour.md §5.8 E1, §5.11). */
static void sig_changed(void *user, idm_idarc *w, const nmsg_mac *old_mac, uint32_t old_ll, bool only)
{
    qsys *s = user;
    qwarc *a = qwarc_of(w);
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                     "An identity-arc has been changed: #%d of local_identity #%d%s.", w->index,
                     w->owner->index, only ? " (only neighbour migrated)" : "");
    qmon_idarc(s, QMON_IDARC_CHANGED, w, 0);
    if (!a)
        return;
    if (a->qspn && a->tid > 0) {
        if (only) {
            /* the documents free the old number first, so it is reused */
            tables_release(&s->tables, &a->tmac);
        } else {
            a->has_prev = true;
            a->prev_tid = a->tid;
            a->prev_mac = a->tmac;
        }
        int tid = tables_acquire(&s->tables, &w->peer_mac, NULL);
        a->tid = tid > 0 ? tid : 0;
        a->tmac = w->peer_mac;
    }
    if (a->owner)
        qns_schedule(a->owner->ns);
}

static void sig_removing(void *user, idm_idarc *w)
{
    qwarc *a = qwarc_of(w);
    if (a && a->owner && (a->qspn || a->tid > 0))
        qid_remove_qspn_arc(a->owner, a);
}

static void sig_removed(void *user, idm_idarc *w)
{
    qwarc *a = qwarc_of(w);
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                     "An identity-arc has been removed: #%d of local_identity #%d.", w->index,
                     w->owner->index);
    qmon_idarc(user, QMON_IDARC_REMOVED, w, 0);
    if (a) {
        if (a->qspn && a->owner)
            qid_remove_qspn_arc(a->owner, a);
        a->w = NULL;                   /* the handle lives on with its identity */
        if (a->owner)
            qns_schedule(a->owner->ns);
    }
    w->user = NULL;
}

const idm_signals qsys_idm_signals = { sig_added, sig_changed, sig_removing, sig_removed };

/* ---- requests from neighbours ---------------------------------------------------------------- */

static void reply_status(qsys *s, const nbr_arc *a, const nmsg *m, uint8_t status)
{
    nmsg_buf b = { 0 };
    nmsg_encode_reply_status(&b, s->nnid, m->request_id, m->type, status);
    rpc_send(s, a, &b);
    nmsg_buf_free(&b);
}

static void reply_match(qsys *s, uint64_t arc, uint32_t request_id, const nmsg_dupdata *d)
{
    const nbr_arc *a = nbr_find_by_id(s->nbr, arc);
    if (!a)
        return;
    nmsg_buf b = { 0 };
    nmsg_encode_reply_match(&b, s->nnid, request_id, d);
    rpc_send(s, a, &b);
    nmsg_buf_free(&b);
}

typedef struct {
    uint64_t arc;
    int nic;
    uint32_t request_id;
    uint32_t migration_id, old_id;
    int64_t until_us;
} parked_match;

static void answer_with(qsys *s, const parked_match *p, const idm_migration *mig)
{
    nmsg_dupdata d = { false, 0, { { 0 } }, 0 };
    if (mig && mig->ready && mig->has_dev[p->nic]) {
        d.present = true;
        d.peer_new_id = mig->new_id;
        d.peer_old_id_new_mac = mig->devices[p->nic].mac;
        d.peer_old_id_new_ll = mig->devices[p->nic].ll;
    }
    reply_match(s, p->arc, p->request_id, &d);
}

void qsys_release_parked_matches(qsys *s, idm_migration *mig)
{
    int64_t now = qsys_now_us();
    for (guint i = 0; i < s->parked_match->len;) {
        parked_match *p = g_ptr_array_index(s->parked_match, i);
        idm_migration *x = idm_find_migration(s->idm, p->migration_id, p->old_id);
        if ((x && x->ready) || now >= p->until_us || (mig && x == mig)) {
            answer_with(s, p, x);
            g_ptr_array_remove_index(s->parked_match, i);
            continue;
        }
        i++;
    }
}

/* §4.8: am I migrating with the caller (same migration id)?  Then my new
 * identity's data, once ready.  Otherwise only the caller migrated: my
 * identity-arc follows it, and the answer is null. */
static void on_match(qsys *s, const nbr_arc *a, const nmsg *m)
{
    const nmsg_match *mt = &m->u.match;
    qreal *r = qsys_real(s, a->id);
    if (!r) {
        reply_status(s, a, m, NMSG_ST_NO_DISPATCHER);
        return;
    }
    idm_migration *mig = idm_find_migration(s->idm, mt->migration_id, mt->peer_id);
    parked_match p = { a->id, a->nic, m->request_id, mt->migration_id, mt->peer_id,
                       qsys_now_us() + (int64_t)MATCH_READY_WAIT_MS * 1000 };
    if (mig) {
        if (mig->ready)
            answer_with(s, &p, mig);
        else
            g_ptr_array_add(s->parked_match, g_memdup2(&p, sizeof p));
        return;
    }
    idm_identity *my = idm_by_nodeid(s->idm, mt->peer_id);
    if (my && !idm_neighbour_migrated(s->idm, my, a->id, mt->old_id, mt->new_id, &mt->old_id_new_mac,
                                      mt->old_id_new_ll))
        s->c.msg_unexpected++;
    qsys_retry_parked(s);
    /* the kernel follows before the answer leaves: the caller may switch its
     * old namespace as soon as it has the answers (no packet loss meanwhile) */
    qid *q = my ? my->user : NULL;
    if (q) {
        qsys_sync_rt_tables(s);
        qns_sync_now(q->ns);
    }
    /* the model changed before the answer leaves: the caller's next messages
     * find the new identity-arc */
    nmsg_dupdata none = { false, 0, { { 0 } }, 0 };
    reply_match(s, a->id, m->request_id, &none);
}

/* §4.9: the sender's identity removed its identity-arc to mine. */
static void on_notify(qsys *s, const nbr_arc *a, const nmsg *m)
{
    reply_status(s, a, m, NMSG_ST_OK);
    idm_identity *my = idm_by_nodeid(s->idm, m->u.notify.receiver_identity);
    qid *q = my ? my->user : NULL;
    if (!q)
        return;
    if (q->duplicating) {
        /* after the duplication, so that the copy to the new identity is made first */
        uint64_t pair[2] = { a->id, m->u.notify.sender_identity };
        g_array_append_val(q->deferred_removals, pair);
        return;
    }
    idm_idarc *w = idm_find_idarc(s->idm, my, a->id, m->u.notify.sender_identity);
    if (w)
        idm_remove_idarc(s->idm, w, true);
    qsys_sync_rt_tables(s);
}

void qsys_on_request(qsys *s, const nbr_arc *a, const nmsg *m)
{
    switch (m->type) {
    case NMSG_GET_PEER_MAIN_ID: {
        nmsg_buf b = { 0 };
        nmsg_encode_reply_main_id(&b, s->nnid, m->request_id, idm_main(s->idm)->nodeid);
        rpc_send(s, a, &b);
        nmsg_buf_free(&b);
        break;
    }
    case NMSG_GET_PEER_IDENTITIES:
        qsys_answer_identities(s, a, m);
        break;
    case NMSG_MATCH_DUPLICATION:
        on_match(s, a, m);
        break;
    case NMSG_NOTIFY_IDARC_REMOVED:
        on_notify(s, a, m);
        break;
    case NMSG_QSPN:
        if (!qsys_real(s, a->id)) {
            s->c.msg_no_arc++;
            if (m->request_id)
                reply_status(s, a, m, NMSG_ST_NO_DISPATCHER);
            break;
        }
        qsys_deliver_qspn(s, a->id, a->peer_ll, m->src_id, m->dst_id, m->request_id, m->u.qspn.frame,
                          m->u.qspn.len);
        break;
    default:
        s->c.msg_unexpected++;
        break;
    }
}
