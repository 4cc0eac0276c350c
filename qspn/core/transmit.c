/* transmit.c - building, encoding and sending frames. Every frame goes out
 * through qspn_send_to_arcs (one-way frames) or the request/reply helpers. */
#include <string.h>

#include "manager_ops.h"

static void fill_etp_header(const qspn_manager *m, qspn_etp *e)
{
    memset(e, 0, sizeof *e);
    e->sender = m->me;
    for (int i = 0; i <= m->levels; i++) {
        e->fps[i] = m->fps[i];
        e->nodes_inside[i] = m->nn[i];
    }
}

static bool encode(qspn_manager *m, const qspn_msg *msg, qspn_buf *buf)
{
    if (!qspn_encode_msg(&m->topo, msg, buf)) {
        qspn_logf(m, "cannot encode message type %d", (int)msg->type);
        return false;
    }
    return true;
}

static void count_etp(qspn_manager *m, const qspn_buf *buf)
{
    m->stats.etp_sent++;
    m->stats.etp_bytes += buf->len;
}

void qspn_send_to_arcs(qspn_manager *m, const qspn_msg *msg, qspn_arc_filter keep, const void *ctx)
{
    qspn_buf buf = {0};
    if (encode(m, msg, &buf)) {
        for (int i = 0; i < m->n_arcs; i++) {
            arc_t *a = m->arcs[i];
            if (keep && !keep(m, a, ctx))
                continue;
            if (msg->type == QSPN_MSG_SEND_ETP)
                count_etp(m, &buf);
            if (m->env.send)
                m->env.send(m->env.user, m, a->handle, buf.data, buf.len);
        }
    }
    qspn_buf_free(&buf);
}

void qspn_etp_msg(const qspn_manager *m, qspn_msg *msg, const ntk_hcoord *route, int n_route,
                  const path_list *paths, bool is_full)
{
    memset(msg, 0, sizeof *msg);
    msg->type = QSPN_MSG_SEND_ETP;
    msg->is_full = is_full;
    fill_etp_header(m, &msg->etp);
    msg->etp.n_route = n_route;
    for (int i = 0; i < n_route; i++)
        msg->etp.route[i] = route[i];
    msg->etp.n_paths = paths ? paths->n : 0;
    msg->etp.paths = paths ? paths->v : NULL;
}

static bool not_except(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    (void)m;
    return a != ctx;
}

static bool only_this(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    (void)m;
    return a == ctx;
}

void qspn_tx_etp(qspn_manager *m, const ntk_hcoord *route, int n_route, const path_list *paths,
                 bool is_full, const arc_t *except)
{
    qspn_msg msg;
    qspn_etp_msg(m, &msg, route, n_route, paths, is_full);
    qspn_send_to_arcs(m, &msg, not_except, except);
}

void qspn_collect_full(qspn_manager *m, int min_lvl, const ntk_hcoord *avoid, path_list *out)
{
    for (int lvl = min_lvl < 0 ? 0 : min_lvl; lvl < m->levels; lvl++) {
        level_map *lm = &m->map[lvl];
        for (int k = 0; k < lm->n; k++)
            for (int q = 0; q < lm->d[k].n; q++) {
                nodepath *np = &lm->d[k].paths[q];
                if (!np->p.adv || (avoid && qspn_path_contains(&np->p, *avoid)))
                    continue;
                qspn_etp_path p;
                qspn_prepare_step1(m, np, false, &p);
                qspn_prepare_step2(m, &p);
                qspn_path_list_push(out, p);
            }
    }
}

void qspn_tx_full_etp(qspn_manager *m, arc_t *only)
{
    path_list all = {0};
    qspn_collect_full(m, 0, NULL, &all);
    qspn_msg msg;
    qspn_etp_msg(m, &msg, NULL, 0, &all, true);
    qspn_send_to_arcs(m, &msg, only ? only_this : NULL, only);
    qspn_path_list_free(&all);
}

void qspn_tx_request(qspn_manager *m, arc_t *a, req_kind kind, uint64_t gather_id)
{
    QSPN_GROW(a->req, a->n_req, a->cap_req, 4);
    a->req[a->n_req++] = (pending_req){kind, gather_id};
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_GET_FULL_ETP_REQ;
    msg.naddr = m->me;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf)) {
        m->stats.requests_sent++;
        if (m->env.send_request)
            m->env.send_request(m->env.user, m, a->handle, buf.data, buf.len);
    }
    qspn_buf_free(&buf);
}

static void send_reply(qspn_manager *m, void *handle, uint64_t token, const qspn_msg *msg)
{
    qspn_buf buf = {0};
    if (encode(m, msg, &buf)) {
        if (msg->type == QSPN_MSG_GET_FULL_ETP_REP)
            count_etp(m, &buf);
        if (m->env.send_reply)
            m->env.send_reply(m->env.user, m, handle, token, buf.data, buf.len);
    }
    qspn_buf_free(&buf);
}

void qspn_tx_reply_etp(qspn_manager *m, arc_t *a, uint64_t token, const path_list *paths)
{
    qspn_msg msg;
    qspn_etp_msg(m, &msg, NULL, 0, paths, false);
    msg.type = QSPN_MSG_GET_FULL_ETP_REP;
    send_reply(m, a->handle, token, &msg);
}

void qspn_tx_error(qspn_manager *m, void *handle, uint64_t token, uint8_t code)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_ERROR;
    msg.code = code;
    send_reply(m, handle, token, &msg);
}

static int peer_level(const qspn_manager *m, const arc_t *a)
{
    return a->has_naddr ? qspn_coord_of(m, &a->naddr).lvl : -2;
}

/* Neighbours inside the migrated g-node (below conn_from - 1). */
static bool inside_migrated(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    (void)ctx;
    return a->has_naddr && peer_level(m, a) < m->conn_from - 1;
}

void qspn_tx_prepare_destroy(qspn_manager *m, uint64_t wave)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_PREPARE_DESTROY;
    msg.wave_id = wave;
    qspn_send_to_arcs(m, &msg, inside_migrated, NULL);
}

static bool at_or_above_conn(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    (void)ctx;
    return a->has_naddr && peer_level(m, a) >= m->conn_from - 1;
}

void qspn_tx_destroy(qspn_manager *m)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_DESTROY;
    qspn_send_to_arcs(m, &msg, at_or_above_conn, NULL);
}

/* Neighbours that knew my old coordinate (old_lvl, old_pos) from outside. */
static bool saw_old_coord(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    const ntk_hcoord *old = ctx;
    if (!a->has_naddr)
        return false;
    ntk_hcoord c = qspn_coord_of(m, &a->naddr);
    return (c.lvl == old->lvl && c.pos != old->pos) || c.lvl > old->lvl;
}

void qspn_tx_connectivity_notice(qspn_manager *m, int old_lvl, int old_pos)
{
    ntk_hcoord old = {old_lvl, old_pos};
    qspn_msg msg;
    qspn_etp_msg(m, &msg, &old, 1, NULL, false);
    qspn_send_to_arcs(m, &msg, saw_old_coord, &old);
}
