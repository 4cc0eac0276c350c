/* enter.c - entering another network (and migrating), behaviour.md §5.8-§5.10,
 * identities-neighborhood.md §4.7:
 *   prepare   store the parameters, Identities prepare_add_identity;
 *   phase 1   A: the old identity moves to a new namespace with new
 *             pseudo-interfaces, the new one takes its namespace (kernel
 *             work first, then idm_add_identity);
 *             B: match_duplication with the peer of every identity-arc, all
 *             at once; the answers are applied in identity-arc order;
 *             then the new QSPN manager (enter_net / migration), the old one
 *             becomes a connectivity identity, phase 2 at once when there is
 *             no previous operation, and (entry) the old identity goes;
 *   phase 2   the virtual position becomes real (make_real).
 * The kernel follows through the namespace syncs (nsync.c). */
#include "enter.h"
#include "monitor.h"

#include <string.h>

#define DOMAIN "qspnd"
#define MATCH_WINDOW_MS 10000          /* §4.7: the first calls share 10 s */
#define MATCH_MIN_MS 3000              /* and each gets at least 3 s */
#define PREPARE_LIFETIME_US (600LL * G_USEC_PER_SEC)

typedef struct {
    qop *op;
    idm_idarc *w0;
    idm_idarc *w1;                     /* its copy for the new identity */
    uint64_t arc;
    bool done, broken;
    nmsg_dupdata d;
} dup_entry;

qop *qop_find(qsys *s, int old_index, uint32_t op_id)
{
    for (guint i = 0; i < s->ops->len; i++) {
        qop *op = g_ptr_array_index(s->ops, i);
        if (op->old_index == old_index && op->op_id == op_id)
            return op;
    }
    return NULL;
}

void qop_free(qop *op)
{
    if (!op)
        return;
    g_ptr_array_remove(op->s->ops, op);
    if (op->dups)
        g_ptr_array_free(op->dups, TRUE);
    g_free(op);
}

const char *qop_prepare(qsys *s, const qop_params *p, char *err, size_t errlen)
{
    idm_identity *old = idm_by_index(s->idm, p->old_index);
    if (!old || !old->user) {
        g_snprintf(err, errlen, "wrong local_identity_index '%d'", p->old_index);
        return err;
    }
    if (qop_find(s, p->old_index, p->op_id)) {
        g_snprintf(err, errlen, "operation %u of identity #%d is already prepared", p->op_id, p->old_index);
        return err;
    }
    if (!idm_prepare_add_identity(s->idm, p->op_id, old, qsys_now_us(), PREPARE_LIFETIME_US)) {
        g_snprintf(err, errlen, "cannot prepare operation %u for identity #%d", p->op_id, p->old_index);
        return err;
    }
    qop *op = g_new0(qop, 1);
    op->s = s;
    op->p = *p;
    op->old_index = p->old_index;
    op->op_id = p->op_id;
    g_ptr_array_add(s->ops, op);
    return NULL;
}

/* ---- phase A: the kernel side of the duplication --------------------------------------- */

static uint32_t random_ll(qsys *s)
{
    for (;;) {
        uint32_t ll = (169u << 24) | (254u << 16) | ((uint32_t)g_random_int_range(1, 255) << 8) |
                      (uint32_t)g_random_int_range(0, 255);
        bool used = false;
        for (size_t i = 0; i < s->opt->cfg.n_nics; i++)
            used |= s->opt->cfg.nics[i].linklocal == ll;
        for (int i = 0; i < idm_n_identities(s->idm) && !used; i++) {
            idm_identity *id = idm_identity_at(s->idm, i);
            for (int n = 0; n < idm_n_nics(s->idm); n++)
                used |= id->nics[n].ll == ll;
            for (guint j = 0; j < id->arcs->len; j++)
                used |= ((idm_idarc *)g_ptr_array_index(id->arcs, j))->peer_ll == ll;
        }
        if (!used)
            return ll;
    }
}

/* The namespace name (prefix + pinned name or ntkv<N>) and the short name
 * the pseudo-interfaces are named after. */
static void choose_names(qsys *s, const qpin *pin, char *ns, size_t nslen, char *shortname, size_t shlen)
{
    const char *prefix = s->opt->identity_ns_prefix ? s->opt->identity_ns_prefix : "";
    if (pin && pin->name[0]) {
        g_strlcpy(shortname, pin->name, shlen);
        g_snprintf(ns, nslen, "%s%s", prefix, pin->name);
        return;
    }
    do {
        g_snprintf(shortname, shlen, "ntkv%d", s->next_ns++);
        g_snprintf(ns, nslen, "%s%s", prefix, shortname);
    } while (kernel_netns_exists(ns));
}

static bool apply_here(kernel *k, kop *ops, size_t n, char *err, size_t errlen)
{
    return kernel_apply(k, ops, n, NULL, err, errlen) == 0;
}

/* Creates the namespace and the pseudo-interfaces of the old identity; fills
 * pseudo[] and returns the namespace's kernel handle (NULL on failure, with
 * whatever was created removed again). */
static kernel *make_namespace(qsys *s, const idm_identity *old, const qpin *pin, char *ns, size_t nslen,
                              idm_nic *pseudo, char *err, size_t errlen)
{
    qns *sys_ns = g_ptr_array_index(s->spaces, 0);
    char shortname[IDM_NSLEN];
    choose_names(s, pin, ns, nslen, shortname, sizeof shortname);
    kop add = kop_netns(KOP_NETNS_ADD, ns);
    qsys_state_note(s, &add, true);
    if (!apply_here(sys_ns->k, &add, 1, err, errlen))
        return NULL;
    kernel *k = s->kernel_in ? s->kernel_in(s->opt->rt_tables, ns, err, errlen) : NULL;
    /* IPv4 only: no IPv6 link-local or solicitation leaves a pseudo-interface
     * (tolerant: a kernel without IPv6 has no such keys) */
    kop setup[4] = { kop_sysctl("net.ipv4.ip_forward", "1"), kop_sysctl("net.ipv4.conf.all.rp_filter", "0"),
                     kop_sysctl("net.ipv6.conf.all.disable_ipv6", "1"),
                     kop_sysctl("net.ipv6.conf.default.disable_ipv6", "1") };
    setup[2].tolerant = setup[3].tolerant = true;
    bool ok = k && apply_here(k, setup, 4, err, errlen);
    for (int i = 0; ok && i < idm_n_nics(s->idm); i++) {
        if (!old->nics[i].dev[0])
            continue;
        const char *real = qsys_nic_dev(s, i);
        g_snprintf(pseudo[i].dev, sizeof pseudo[i].dev, "%s_%s", shortname, real);
        if (strlen(shortname) + 1 + strlen(real) >= IDM_DEVLEN)
            g_snprintf(pseudo[i].dev, sizeof pseudo[i].dev, "ntk%d_%d", s->next_ns++, i);
        char macbuf[24] = "";
        if (pin && pin->has_nic[i])
            nmsg_mac_format(&pin->mac[i], macbuf, sizeof macbuf);
        kop mv = kop_macvlan(pseudo[i].dev, real, macbuf, ns);
        qsys_state_note(s, &mv, true);     /* until it is inside the recorded namespace */
        ok = apply_here(sys_ns->k, &mv, 1, err, errlen);
        kop moved = kop_link_del("", pseudo[i].dev);
        if (ok)
            qsys_state_note(s, &moved, false);
        char key[KOP_KEYLEN];
        kop dev_ops[4];
        g_snprintf(key, sizeof key, "net.ipv4.conf.%s.rp_filter", pseudo[i].dev);
        dev_ops[0] = kop_sysctl(key, "0");
        g_snprintf(key, sizeof key, "net.ipv4.conf.%s.arp_ignore", pseudo[i].dev);
        dev_ops[1] = kop_sysctl(key, "1");
        g_snprintf(key, sizeof key, "net.ipv4.conf.%s.arp_announce", pseudo[i].dev);
        dev_ops[2] = kop_sysctl(key, "2");
        dev_ops[3] = kop_link_up(pseudo[i].dev);
        ok = ok && apply_here(k, dev_ops, 4, err, errlen);
        char mac[24];
        ok = ok && kernel_link_mac(k, pseudo[i].dev, mac, sizeof mac) && nmsg_mac_parse(mac, &pseudo[i].mac);
        pseudo[i].ll = pin && pin->has_nic[i] ? pin->ll[i] : random_ll(s);
    }
    if (ok)
        return k;
    kernel_free(k);
    kop del = kop_netns_del(ns);
    char e2[256];
    (void)apply_here(sys_ns->k, &del, 1, e2, sizeof e2);
    qsys_state_note(s, &del, false);
    return NULL;
}

/* ---- phase B: match_duplication ---------------------------------------------------------- */

static void after_duplication(qop *op);

static void on_match_answer(qsys *s, void *user, const nmsg *reply)
{
    dup_entry *e = user;
    qop *op = e->op;
    e->done = true;
    if (reply && reply->u.reply.status == NMSG_ST_OK && reply->u.reply.req_type == NMSG_MATCH_DUPLICATION)
        e->d = reply->u.reply.dup;
    else
        e->broken = true;              /* answer "null", and the arc is broken */
    if (--op->waiting == 0)
        after_duplication(op);
}

static void ask_peers(qop *op)
{
    qsys *s = op->s;
    qid *old = op->old;
    op->dups = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < idm_n_arcs(s->idm); i++) {
        const idm_arc *pa = idm_arc_at(s->idm, i);
        for (guint j = 0; j < old->ident->arcs->len; j++) {
            idm_idarc *w0 = g_ptr_array_index(old->ident->arcs, j);
            if (w0->arc != pa->id)
                continue;
            dup_entry *e = g_new0(dup_entry, 1);
            e->op = op;
            e->w0 = w0;
            e->arc = pa->id;
            g_ptr_array_add(op->dups, e);
        }
    }
    op->waiting = (int)op->dups->len;
    idm_migration *mig = idm_find_migration(s->idm, op->op_id, old->ident->nodeid);
    for (guint i = 0; i < op->dups->len; i++) {
        dup_entry *e = g_ptr_array_index(op->dups, i);
        const nbr_arc *na = nbr_find_by_id(s->nbr, e->arc);
        const idm_arc *pa = idm_arc_get(s->idm, e->arc);
        nmsg_match mt = { op->op_id, e->w0->peer_nodeid, old->ident->nodeid, op->nw->ident->nodeid,
                          mig->devices[pa->nic].mac, mig->devices[pa->nic].ll };
        uint32_t id = rpc_new_id(s);
        nmsg_buf b = { 0 };
        nmsg_encode_match(&b, s->nnid, id, &mt);
        uint32_t t = MATCH_WINDOW_MS > MATCH_MIN_MS ? MATCH_WINDOW_MS : MATCH_MIN_MS;
        rpc_call(s, na, id, na ? &b : NULL, t, on_match_answer, e);
        nmsg_buf_free(&b);
    }
    if (op->waiting == 0)
        after_duplication(op);
}

/* ---- the new identity's address and the connectivity address ------------------------- */

static void update_fp_new(void *ctx, qspn_fp *fp)
{
    qid *nw = ctx;
    for (int j = nw->guest_level; j < nw->addr.levels; j++)
        if (j >= fp->level)
            fp->eld[j - fp->level] = nw->eld[j];
}

static void update_fp_conn(void *ctx, qspn_fp *fp)
{
    qid *old = ctx;
    int k = old->conn_from - 1;
    if (k >= fp->level)
        fp->eld[k - fp->level] = old->eld[k];
}

/* positions 0..h-2 of the old identity, h-1 = pos, h..l-1 = the host g-node */
static ntk_naddr new_address(const qop *op, const ntk_naddr *old, int pos)
{
    ntk_naddr a = *old;
    int h = op->p.host_level;
    a.pos[h - 1] = pos;
    for (int j = h; j < a.levels; j++)
        a.pos[j] = op->p.host_pos[j];
    return a;
}

static void set_new_identity(qop *op)
{
    qid *old = op->old, *nw = op->nw;
    nw->awaiting_phase2 = !op->p.migrate && op->p.has_prev;
    int k = op->p.guest_level, h = op->p.host_level;
    nw->addr = new_address(op, &old->addr, op->p.pos1);
    for (int j = 0; j < old->addr.levels; j++)
        nw->eld[j] = j < k ? old->eld[j] : 0;
    nw->eld[h - 1] = op->p.eld1;
    for (int j = h; j < old->addr.levels; j++)
        nw->eld[j] = op->p.host_eld[j];
    nw->fp_id = old->fp_id;
    nw->guest_level = k;
    qmon_address(op->s, nw, NULL);
}

/* The w1 copied from w0 during this operation. */
static qwarc *copy_of(qop *op, const dup_entry *e)
{
    return e->w1 ? qwarc_of(e->w1) : NULL;
}

static void build_manager(qop *op)
{
    qsys *s = op->s;
    qid *old = op->old, *nw = op->nw;
    int n = (int)op->dups->len, ni = 0, ne = 0;
    void **in = g_new0(void *, n + 1), **in_prev = g_new0(void *, n + 1), **ext = g_new0(void *, n + 1);
    uint32_t *in_cost = g_new0(uint32_t, n + 1), *ext_cost = g_new0(uint32_t, n + 1);
    ntk_naddr *peers = g_new0(ntk_naddr, n + 1);
    for (int i = 0; i < n; i++) {
        dup_entry *e = g_ptr_array_index(op->dups, i);
        qwarc *a0 = qwarc_of(e->w0), *a1 = copy_of(op, e);
        ntk_naddr peer;
        if (!a0 || !a1)
            continue;
        bool listed = false;
        for (int x = 0; x < op->p.n_arcs; x++)
            listed |= op->p.arcs[x] == e->w0->index;
        if (e->d.present && a0->qspn && old->m && qspn_get_naddr_for_arc(old->m, a0, &peer)) {
            /* internal: the new identities keep the old tables (w0's previous MAC) */
            a1->qspn = true;
            a1->tid = a0->has_prev ? a0->prev_tid : 0;
            a1->tmac = a0->prev_mac;
            a0->has_prev = false;
            in[ni] = a1;
            in_prev[ni] = a0;
            in_cost[ni] = qsys_arc_cost(s, e->arc);
            peers[ni] = new_address(op, &peer, op->p.pos1);
            ni++;
        } else if (listed || (op->p.migrate && a0->qspn && !e->d.present)) {
            int tid = tables_acquire(&s->tables, &a1->w->peer_mac, NULL);
            if (tid < 0)
                continue;
            a1->qspn = true;
            a1->tid = tid;
            a1->tmac = a1->w->peer_mac;
            if (nw->awaiting_phase2) {
                g_ptr_array_add(nw->deferred, a1);
                continue;
            }
            ext[ne] = a1;
            ext_cost[ne] = qsys_arc_cost(s, e->arc);
            ne++;
        }
    }
    qspn_fp fp0;
    qid_fp0(nw, &fp0);
    qspn_enter_args a = { 0 };
    a.n_internal = ni;
    a.internal_arcs = in;
    a.internal_costs = in_cost;
    a.internal_arcs_prev = in_prev;
    a.internal_peer_naddrs = peers;
    a.n_external = ne;
    a.external_arcs = ext;
    a.external_costs = ext_cost;
    a.my_naddr = &nw->addr;
    a.my_fp0 = &fp0;
    a.update_internal_fp = update_fp_new;
    a.update_ctx = nw;
    a.guest_level = op->p.guest_level;
    a.host_level = op->p.host_level;
    a.previous = old->m;
    qspn_env env = qid_env(nw);
    /* Until phase 2 the host g-node does not exist: the identity stays in
     * bootstrap (UseCases12: "ε has not completed the bootstrap") and answers
     * requests with BOOTSTRAP_IN_PROGRESS instead of leaving them unanswered. */
    qspn_config cfg = s->qcfg;
    if (nw->awaiting_phase2)
        cfg.bootstrap_giveup_ms = 0;
    nw->m = op->p.migrate ? qspn_migration(&cfg, &env, &s->opt->cfg.topo, &a)
                          : qspn_enter_net(&cfg, &env, &s->opt->cfg.topo, &a);
    if (!nw->m)
        g_log_structured(DOMAIN, G_LOG_LEVEL_CRITICAL, "MESSAGE", "cannot build the QSPN manager of #%d",
                         nw->ident->index);
    g_free(in);
    g_free(in_prev);
    g_free(ext);
    g_free(in_cost);
    g_free(ext_cost);
    g_free(peers);
}

static void make_connectivity(qop *op)
{
    qid *old = op->old;
    int k = op->p.guest_level;
    ntk_naddr prev = old->addr, c = old->addr;
    c.pos[k] = op->p.cpos;
    old->addr = c;
    old->eld[k] = op->p.cpos_eld;
    old->conn_from = k + 1;
    /* entry: up to the whole network; migration: up to the maximum distinct
     * g-node between the previous and the new address (behaviour.md 5.10 M2) */
    old->conn_to = c.levels;
    if (op->p.migrate) {
        ntk_naddr target = new_address(op, &prev, op->p.pos2);
        ntk_hcoord md = ntk_max_distinct_gnode(&prev, &target);
        if (md.lvl > k)
            old->conn_to = md.lvl;
        op->nw->origin_conn = old->ident->nodeid;
    }
    qmon_address(op->s, old, &prev);
    qspn_fp fp0;
    qid_fp0(old, &fp0);
    if (old->m && !qspn_make_connectivity(old->m, k + 1, old->conn_to, &c, update_fp_conn, old, &fp0))
        g_log_structured(DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "make_connectivity refused for #%d",
                         old->ident->index);
}

bool qop_phase2(qop *op, char *err, size_t errlen)
{
    qid *nw = op->nw;
    if (!nw || !nw->m) {
        g_snprintf(err, errlen, "operation %u has no new identity", op->op_id);
        return false;
    }
    ntk_naddr prev = nw->addr;
    nw->addr = new_address(op, &nw->addr, op->p.pos2);
    nw->eld[op->p.host_level - 1] = op->p.eld2;
    qspn_fp fp0;
    qid_fp0(nw, &fp0);
    if (!qspn_make_real(nw->m, &nw->addr, update_fp_new, nw, &fp0)) {
        g_snprintf(err, errlen, "make_real refused");
        return false;
    }
    char a[NTK_STRLEN];
    ntk_naddr_format(&nw->addr, ":", a, sizeof a);
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "make_real at level %d identity #%d (%s).",
                     op->p.host_level - 1, nw->ident->index, a);
    qmon_address(op->s, nw, &prev);
    op->phase2_done = true;
    nw->awaiting_phase2 = false;
    for (guint i = 0; i < nw->deferred->len; i++) {
        qwarc *x = g_ptr_array_index(nw->deferred, i);
        if (x->w && x->qspn)
            qspn_arc_add(nw->m, x, qsys_arc_cost(op->s, x->w->arc));
    }
    g_ptr_array_set_size(nw->deferred, 0);
    qspn_set_bootstrap_giveup(nw->m, op->s->qcfg.bootstrap_giveup_ms);
    qns_schedule(nw->ns);
    if (!op->p.migrate && op->old) {
        qid *old = op->old;
        op->old = NULL;
        qid_dismiss(old);              /* the entry is complete */
    }
    return true;
}

static void apply_deferred_removals(qsys *s, qid *q)
{
    GArray *v = q->deferred_removals;
    for (guint i = 0; i < v->len; i++) {
        const uint64_t *pair = &g_array_index(v, uint64_t, 2 * i);
        idm_idarc *w = idm_find_idarc(s->idm, q->ident, pair[0], (uint32_t)pair[1]);
        if (w)
            idm_remove_idarc(s->idm, w, true);
    }
    g_array_set_size(v, 0);
}

static void after_duplication(qop *op)
{
    qsys *s = op->s;
    qid *old = op->old;
    GArray *broken = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (guint i = 0; i < op->dups->len; i++) {
        dup_entry *e = g_ptr_array_index(op->dups, i);
        bool arc_broken = false;
        for (guint j = 0; j < broken->len; j++)
            arc_broken |= g_array_index(broken, uint64_t, j) == e->arc;
        if (e->broken && !arc_broken)
            g_array_append_val(broken, e->arc);
        if (e->broken || arc_broken)
            e->d.present = false;
        if (!idm_find_idarc(s->idm, old->ident, e->arc, e->w0->peer_nodeid)) {
            e->w0 = NULL;              /* removed meanwhile */
            continue;
        }
        e->w1 = idm_duplicate_idarc(s->idm, op->nw->ident, e->w0, &e->d);
    }
    old->duplicating = false;
    set_new_identity(op);
    build_manager(op);
    /* the copy of a connectivity identity is a connectivity identity (beta3,
     * copied from beta1 at S13a): the levels its manager inherited */
    if (op->nw->m)
        qspn_connectivity_levels(op->nw->m, &op->nw->conn_from, &op->nw->conn_to);
    if (op->nw->conn_to > 0)
        op->nw->copy_of_conn = op->old->ident->nodeid;
    make_connectivity(op);
    apply_deferred_removals(s, old);
    op->phase1_done = true;
    char err[256] = "";
    bool ok = op->nw->m != NULL;
    if (ok && !op->p.has_prev)
        ok = qop_phase2(op, err, sizeof err);
    for (guint j = 0; j < broken->len; j++) {
        const nbr_arc *na = nbr_find_by_id(s->nbr, g_array_index(broken, uint64_t, j));
        if (na)
            nbr_remove(s->nbr, na->id);   /* §4.7: a broken arc goes, the neighbourhood finds it again */
    }
    g_array_free(broken, TRUE);
    qsys_retry_parked(s);
    qsys_sync_rt_tables(s);
    qsys_schedule_all(s);
    if (op->done)
        op->done(op, ok, err[0] ? err : "cannot build the new identity's QSPN manager");
}

/* ---- phase 1 ------------------------------------------------------------------------------- */

bool qop_phase1(qop *op, char *err, size_t errlen)
{
    qsys *s = op->s;
    idm_identity *oldid = idm_by_index(s->idm, op->old_index);
    idm_migration *mig = oldid ? idm_find_migration(s->idm, op->op_id, oldid->nodeid) : NULL;
    if (!oldid || !oldid->user || !mig || mig->ready || op->started) {
        g_snprintf(err, errlen, "operation %u of identity #%d is not prepared (or already run)", op->op_id,
                   op->old_index);
        return false;
    }
    op->started = true;
    op->old = oldid->user;
    idm_nic pseudo[IDM_MAX_NICS];
    memset(pseudo, 0, sizeof pseudo);
    char ns[IDM_NSLEN];
    const qpin *pin = g_hash_table_lookup(s->pins, &op->op_id);
    kernel *k = make_namespace(s, oldid, pin, ns, sizeof ns, pseudo, err, errlen);
    if (!k)
        return false;
    uint32_t nodeid;
    do
        nodeid = (uint32_t)g_random_int_range(1, 0x7FFFFFFF);
    while (idm_nodeid_in_use(s->idm, nodeid));
    idm_identity *nid = idm_add_identity(s->idm, mig, nodeid, ns, pseudo);
    qid *nw = qid_new(s, nid);
    op->nw = nw;
    qmon_identity(s, QMON_IDENTITY_CREATED, nw);
    /* the new identity takes the namespace (and what is installed there) */
    nw->ns = op->old->ns;
    nw->ns->owner = nw;
    qns *fresh = qns_new(s, ns, k);
    fresh->owner = op->old;
    op->old->ns = fresh;
    op->old->duplicating = true;
    g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                     "operation %u: identity #%d moves to namespace %s, new identity #%d", op->op_id,
                     oldid->index, ns, nid->index);
    qsys_release_parked_matches(s, mig);
    ask_peers(op);
    return true;
}
