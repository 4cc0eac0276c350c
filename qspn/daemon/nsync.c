/* nsync.c - the kernel state of every namespace follows the model: the fib
 * input is built from the identity living there, the diff with what is
 * installed is applied, and only that.  Syncs run from an idle source so that
 * a burst of QSPN signals costs one diff. */
#include "system.h"

#include "monitor.h"

#include <string.h>

#define DOMAIN "qspnd"

qns *qns_new(qsys *s, const char *name, kernel *k)
{
    qns *ns = g_new0(qns, 1);
    ns->sys = s;
    g_strlcpy(ns->name, name ? name : "", sizeof ns->name);
    ns->k = k;
    if (k && ns->name[0] && s->mon)    /* the system's kernel is observed from the start */
        kernel_set_observer(k, qmon_kernel_observer, s->mon);
    fib_state_init(&ns->installed);
    g_ptr_array_add(s->spaces, ns);
    return ns;
}

void qns_free(qns *ns)
{
    if (!ns)
        return;
    if (ns->sync_source)
        g_source_remove(ns->sync_source);
    g_ptr_array_remove(ns->sys->spaces, ns);
    fib_state_clear(&ns->installed);
    if (ns->name[0])
        kernel_free(ns->k);           /* the system namespace's kernel is the caller's */
    g_free(ns);
}

const char *qsys_table_name(qsys *s, uint32_t table, char *buf, size_t len)
{
    if (table == FIB_TABLE_NTK || table == FIB_TABLE_MAIN) {
        g_strlcpy(buf, table == FIB_TABLE_NTK ? "ntk" : "main", len);
        return buf;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(s->tables.e); i++)
        if (s->tables.e[i].tid == (int)table) {
            tables_name(&s->tables.e[i].mac, buf, len);
            return buf;
        }
    /* a table just released: its name is in the installed rt_tables lines */
    for (guint i = 0; s->rt_installed && i < s->rt_installed->len; i++) {
        tables_entry *e = &g_array_index(s->rt_installed, tables_entry, i);
        if (e->tid == (int)table) {
            tables_name(&e->mac, buf, len);
            return buf;
        }
    }
    g_snprintf(buf, len, "%u", table);
    return buf;
}

static const char *name_cb(void *ctx, uint32_t table)
{
    static char bufs[4][TABLES_NAMELEN];
    static int k;
    return qsys_table_name(ctx, table, bufs[k++ % 4], TABLES_NAMELEN);
}

/* ---- fib input from the owner identity --------------------------------------------- */

typedef struct {
    qsys *s;
    qid *q;
} best_ctx;

static bool best_cb(void *ctx, ntk_hcoord d, void *avoid, fib_hop *hop)
{
    best_ctx *b = ctx;
    qspn_path_view v;
    if (!b->q->m || !qspn_best_path_avoiding(b->q->m, d, avoid, &v))
        return false;
    qwarc *a = v.arc;
    if (!a || !a->w)
        return false;
    const idm_arc *pa = idm_arc_get(b->s->idm, a->w->arc);
    if (!pa)
        return false;
    hop->gw = a->w->peer_ll;
    g_strlcpy(hop->dev, b->q->ident->nics[pa->nic].dev, sizeof hop->dev);
    return true;
}

/* On-link routes of the namespace: every neighbour's link-local in the
 * system's namespace, and the link-locals of the owner's identity-arcs that
 * are not main identity-arcs. */
static void ll_routes(qsys *s, qid *q, GArray *out)
{
    bool system_ns = q == NULL || q->ns->name[0] == '\0';
    if (system_ns) {
        const nbr_arc *arcs[256];
        int n = nbr_arcs(s->nbr, arcs, G_N_ELEMENTS(arcs));
        for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++) {
            fib_route r = { 0 };
            r.dst.addr = arcs[i]->peer_ll;
            r.dst.prefix = 32;
            g_strlcpy(r.dev, qsys_nic_dev(s, arcs[i]->nic), sizeof r.dev);
            r.src = qsys_nic_ll(s, arcs[i]->nic);
            g_array_append_val(out, r);
        }
    }
    if (!q)
        return;
    for (guint i = 0; i < q->ident->arcs->len; i++) {
        idm_idarc *w = g_ptr_array_index(q->ident->arcs, i);
        const idm_arc *pa = idm_arc_get(s->idm, w->arc);
        if (!pa || idm_idarc_is_main(s->idm, w) || !q->ident->nics[pa->nic].dev[0])
            continue;
        fib_route r = { 0 };
        r.dst.addr = w->peer_ll;
        r.dst.prefix = 32;
        g_strlcpy(r.dev, q->ident->nics[pa->nic].dev, sizeof r.dev);
        r.src = q->ident->nics[pa->nic].ll;
        g_array_append_val(out, r);
    }
}

static void build_and_compute(qns *ns, fib_state *want)
{
    qsys *s = ns->sys;
    qid *q = ns->owner;
    const qspnd_config *c = &s->opt->cfg;
    GArray *ll = g_array_new(FALSE, TRUE, sizeof(fib_route));
    GArray *extra = g_array_new(FALSE, TRUE, sizeof(fib_addr));
    GArray *arcs = g_array_new(FALSE, TRUE, sizeof(fib_qarc));
    const char *devs[QSPND_MAX_NICS];
    bool system_ns = ns->name[0] == '\0';
    fib_input in = { 0 };
    in.topo = &c->topo;
    in.subnet_level = c->subnet_level;
    in.serve_anonymous = c->serve_anonymous;
    in.anonymize = c->anonymize;
    ll_routes(s, q, ll);
    if (system_ns) {
        fib_addr lo = { "lo", ntk_ip_localhost(&c->topo) };
        g_array_append_val(extra, lo);
        for (size_t i = 0; i < c->n_nics; i++) {
            fib_addr a = { { 0 }, c->nics[i].linklocal };
            g_strlcpy(a.dev, c->nics[i].dev, sizeof a.dev);
            g_array_append_val(extra, a);
            devs[i] = c->nics[i].dev;
        }
        in.n_ip_devs = (int)c->n_nics;
        in.ip_devs = devs;
    }
    best_ctx bc = { s, q };
    if (q) {
        in.me = q->addr;
        in.is_main = idm_is_main(s->idm, q->ident);
        if (!system_ns)
            for (int i = 0; i < idm_n_nics(s->idm); i++)
                if (q->ident->nics[i].dev[0]) {
                    fib_addr a = { { 0 }, q->ident->nics[i].ll };
                    g_strlcpy(a.dev, q->ident->nics[i].dev, sizeof a.dev);
                    g_array_append_val(extra, a);
                }
        for (guint i = 0; i < q->ident->arcs->len; i++) {
            qwarc *a = qwarc_of(g_ptr_array_index(q->ident->arcs, i));
            if (!a || !a->qspn || a->tid <= 0)
                continue;
            fib_qarc fa = { 0 };
            fa.tid = (uint32_t)a->tid;
            fa.mac = a->tmac;
            fa.handle = a;
            ntk_naddr peer;
            if (q->m && qspn_get_naddr_for_arc(q->m, a, &peer)) {
                fa.known = true;
                fa.maxdist = ntk_max_distinct_gnode(&q->addr, &peer);
            }
            g_array_append_val(arcs, fa);
        }
        in.best = best_cb;
        in.ctx = &bc;
    } else {
        in.me = c->addr;
        in.n_ip_devs = 0;              /* no identity: no own addresses */
    }
    in.n_ll = (int)ll->len;
    in.ll = (const fib_route *)ll->data;
    in.n_extra_addrs = (int)extra->len;
    in.extra_addrs = (const fib_addr *)extra->data;
    in.n_arcs = (int)arcs->len;
    in.arcs = (const fib_qarc *)arcs->data;
    fib_compute(&in, want);
    if (!q && system_ns)
        want->nft_table = true;
    g_array_free(ll, TRUE);
    g_array_free(extra, TRUE);
    g_array_free(arcs, TRUE);
}

/* Rules of the system's namespace and rt_tables lines are in the state file
 * while they exist (a namespace of an identity goes as a whole). */
static bool noted(const qns *ns, const kop *op)
{
    return op->type == KOP_RT_TABLES_ADD || op->type == KOP_RT_TABLES_DEL ||
           (!ns->name[0] && (op->type == KOP_RULE_ADD || op->type == KOP_RULE_DEL));
}

/* One refused operation: counted and logged; the sync goes on with the rest. */
static void apply_failed(void *ctx, size_t index, const kop *op, const char *err)
{
    qns *ns = ctx;
    (void)index;
    (void)op;
    ns->kernel_errors++;
    ns->sys->c.kernel_errors++;
    g_log_structured(DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "namespace %s: %s",
                     ns->name[0] ? ns->name : "default", err);
}

static void apply(qns *ns, GArray *ops)
{
    for (guint j = 0; j < ops->len; j++) {
        const kop *op = &g_array_index(ops, kop, j);
        if (noted(ns, op) && (op->type == KOP_RULE_ADD || op->type == KOP_RT_TABLES_ADD))
            qsys_state_note(ns->sys, op, true);
    }
    ns->sys->c.kernel_ops += ops->len;
    /* every kop, each failure reported (routes many per system call): the next
     * sync diffs against the model again anyway */
    (void)kernel_apply_all(ns->k, (const kop *)ops->data, ops->len, apply_failed, ns);
    for (guint j = 0; j < ops->len; j++) {
        const kop *op = &g_array_index(ops, kop, j);
        if (noted(ns, op) && (op->type == KOP_RULE_DEL || op->type == KOP_RT_TABLES_DEL))
            qsys_state_note(ns->sys, op, false);
    }
}

void qns_sync_now(qns *ns)
{
    if (ns->sync_source) {
        g_source_remove(ns->sync_source);
        ns->sync_source = 0;
    }
    qsys_sync_rt_tables(ns->sys);
    fib_state want = { 0 };
    fib_state_init(&want);
    build_and_compute(ns, &want);
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(kop));
    fib_diff(&ns->installed, &want, name_cb, ns->sys, ops);
    if (ops->len)
        apply(ns, ops);
    fib_state_copy(&ns->installed, &want);
    fib_state_clear(&want);
    g_array_free(ops, TRUE);
    qmon_paths(ns->owner);
}

void qns_adopt(qns *ns)
{
    build_and_compute(ns, &ns->installed);
}

static gboolean on_idle_sync(gpointer data)
{
    qns *ns = data;
    ns->sync_source = 0;
    qns_sync_now(ns);
    return G_SOURCE_REMOVE;
}

void qns_schedule(qns *ns)
{
    if (ns && !ns->sync_source && !ns->sys->stopping)
        ns->sync_source = g_idle_add(on_idle_sync, ns);
}

void qsys_schedule_all(qsys *s)
{
    for (guint i = 0; i < s->spaces->len; i++)
        qns_schedule(g_ptr_array_index(s->spaces, i));
}

/* rt_tables lines follow the allocated numbers (one file per system). */
void qsys_sync_rt_tables(qsys *s)
{
    tables_entry want[TABLES_FIRST - TABLES_LAST + 1];
    int n = tables_list(&s->tables, want, G_N_ELEMENTS(want));
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(kop));
    char name[TABLES_NAMELEN];
    for (guint i = 0; i < s->rt_installed->len;) {
        tables_entry *e = &g_array_index(s->rt_installed, tables_entry, i);
        bool keep = false;
        for (int j = 0; j < n; j++)
            keep |= want[j].tid == e->tid && nmsg_mac_equal(&want[j].mac, &e->mac);
        if (keep) {
            i++;
            continue;
        }
        tables_name(&e->mac, name, sizeof name);
        kop op = kop_rt_tables(KOP_RT_TABLES_DEL, (uint32_t)e->tid, name);
        g_array_append_val(ops, op);
        g_array_remove_index(s->rt_installed, i);
    }
    for (int j = 0; j < n; j++) {
        bool have = false;
        for (guint i = 0; i < s->rt_installed->len; i++)
            have |= g_array_index(s->rt_installed, tables_entry, i).tid == want[j].tid;
        if (have)
            continue;
        tables_name(&want[j].mac, name, sizeof name);
        kop op = kop_rt_tables(KOP_RT_TABLES_ADD, (uint32_t)want[j].tid, name);
        g_array_append_val(ops, op);
        g_array_append_val(s->rt_installed, want[j]);
    }
    if (ops->len)
        apply(g_ptr_array_index(s->spaces, 0), ops);
    g_array_free(ops, TRUE);
}

int qns_clear(qns *ns)
{
    fib_state empty = { 0 };
    fib_state_init(&empty);
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(kop));
    fib_diff(&ns->installed, &empty, name_cb, ns->sys, ops);
    uint64_t before = ns->kernel_errors;
    if (ops->len)
        apply(ns, ops);
    fib_state_copy(&ns->installed, &empty);
    fib_state_clear(&empty);
    g_array_free(ops, TRUE);
    return ns->kernel_errors == before ? 0 : -1;
}
