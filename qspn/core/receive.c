/* receive.c - incoming frames (one handler per message kind) and the
 * replies to our get_full_etp requests (one handler per request kind). */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

static void handle_get_full_etp(qspn_manager *m, arc_t *a, const ntk_naddr *req, uint64_t token)
{
    ntk_hcoord b = qspn_coord_of(m, req);
    if (b.lvl < 0) {
        qspn_arc_drop(m, a, false); /* invalid requester address: no answer */
        return;
    }
    a->has_naddr = true;
    a->naddr = *req;
    path_list pl = {0};
    qspn_collect_full(m, b.lvl, &b, &pl);
    qspn_tx_reply_etp(m, a, token, &pl);
    qspn_path_list_free(&pl);
}

static void handle_send_etp(qspn_manager *m, arc_t *a, qspn_etp *e, bool is_full)
{
    m->stats.etp_received++;
    bool exit_after = false;
    if (!m->bootstrap_complete) {
        int lvl = qspn_coord_of(m, &e->sender).lvl;
        if (lvl >= m->hooking_level)
            return;
        bool has = false;
        for (int i = 0; i < e->n_paths && !has; i++)
            has = e->paths[i].hops[e->paths[i].n_hops - 1].lvl == m->into_level - 1;
        if (!has)
            return;
        exit_after = true;
    }
    np_list q = {0};
    if (!qspn_revise(m, e, a, is_full, &q)) {
        qspn_np_list_free(m, &q);
        return;
    }
    qspn_process_q(m, &q, 0, NULL, !exit_after);
    if (exit_after)
        qspn_exit_bootstrap_phase(m);
}

/* Remote got_prepare_destroy (spec §4.3), de-duplicated by wave id (§8.4):
 * forwarded to the other members of the migrated g-node once per wave. */
static void handle_prepare_destroy(qspn_manager *m, uint64_t wave)
{
    if (!m->conn_from && !m->conn_to)
        return; /* main identity */
    for (int i = 0; i < m->n_seen_wave; i++)
        if (m->seen_wave[i] == wave)
            return; /* spec §8.4: propagate each wave once */
    qspn_remember_wave(m, wave);
    /* propagate to the other members of the migrated g-node */
    qspn_tx_prepare_destroy(m, wave);
    if (!m->destroy_pending) {
        m->destroy_pending = true;
        qspn_timer_new(m, TIMER_REMOVE_IDENTITY, m->cfg.prepare_destroy_ms);
    }
}

void qspn_dispatch_message(qspn_manager *m, arc_t *a, const uint8_t *frame, size_t len,
                             uint64_t token)
{
    qspn_msg msg;
    qspn_decode_status s = qspn_decode_msg(&m->topo, frame, len, &msg);
    if (s != QSPN_DECODE_OK) {
        qspn_logf(m, "malformed frame on arc %u: %s", a->id, qspn_decode_status_name(s));
        if (s == QSPN_DECODE_BAD_VERSION) {
            qspn_tx_error(m, a->handle, token, QSPN_ERRCODE_VERSION);
            return;
        }
        qspn_arc_drop(m, a, false);
        return;
    }
    switch (msg.type) {
    case QSPN_MSG_GET_FULL_ETP_REQ:
        handle_get_full_etp(m, a, &msg.naddr, token);
        break;
    case QSPN_MSG_SEND_ETP:
        if (!qspn_etp_acceptable(m, &msg.etp)) {
            qspn_arc_drop(m, a, false);
            break;
        }
        handle_send_etp(m, a, &msg.etp, msg.is_full);
        break;
    case QSPN_MSG_PREPARE_DESTROY:
        handle_prepare_destroy(m, msg.wave_id);
        break;
    case QSPN_MSG_DESTROY:
        qspn_arc_drop(m, a, false);
        break;
    default:
        qspn_logf(m, "unexpected message type %d", (int)msg.type);
        break;
    }
    qspn_msg_free(&msg);
}

void qspn_on_message(qspn_manager *m, void *handle, const uint8_t *frame, size_t len, uint64_t token)
{
    /* get_full_etp is refused during bootstrap before the arc search (§3.2) */
    if (!m->bootstrap_complete && len >= 4 && frame[3] == QSPN_MSG_GET_FULL_ETP_REQ) {
        qspn_tx_error(m, handle, token, QSPN_ERRCODE_BOOTSTRAP_IN_PROGRESS);
        return;
    }
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (a) {
        qspn_dispatch_message(m, a, frame, len, token);
        return;
    }
    /* The arc may not be announced yet: poll until arc_timeout (spec §1.1). */
    timer_t_ *t = qspn_timer_new(m, TIMER_ARC_WAIT, m->cfg.arc_timeout_ms / 10 ? m->cfg.arc_timeout_ms / 10 : 1);
    t->arc = handle;
    t->frame = malloc(len ? len : 1);
    if (!t->frame)
        abort();
    memcpy(t->frame, frame, len);
    t->frame_len = len;
    t->token = token;
}

/* ---- replies to our GET_FULL_ETP requests ---------------------------------- */

typedef enum { REPLY_ETP, REPLY_BUSY, REPLY_BAD } reply_outcome;

static reply_outcome classify_reply(qspn_manager *m, const uint8_t *frame, size_t len, bool failed,
                                    qspn_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    if (failed)
        return REPLY_BAD;
    if (qspn_decode_msg(&m->topo, frame, len, msg) != QSPN_DECODE_OK)
        return REPLY_BAD;
    if (msg->type == QSPN_MSG_ERROR)
        return msg->code == QSPN_ERRCODE_BOOTSTRAP_IN_PROGRESS ? REPLY_BUSY : REPLY_BAD;
    if (msg->type == QSPN_MSG_GET_FULL_ETP_REP && qspn_etp_acceptable(m, &msg->etp))
        return REPLY_ETP;
    return REPLY_BAD;
}

/* A reply to the gather of exit_bootstrap_phase is merged when it arrives
 * (not buffered until the last one: an ETP that the same neighbour sent
 * after its reply may arrive before the gather ends, and must not be
 * overtaken by the older reply). Nothing is forwarded (spec §3.10). */
static void reply_gather(qspn_manager *m, arc_t *a, qspn_etp *e, uint64_t gid)
{
    if (qspn_gather_find(m, gid)) {
        np_list q = {0};
        if (qspn_revise(m, e, a, true, &q))
            qspn_process_q(m, &q, 0, NULL, false);
        else
            qspn_np_list_free(m, &q);
    }
    qspn_gather_settle(m, gid);
}

/* spec §3.7.1: merge the new neighbour's full ETP, forward what changed,
 * then send it my full ETP. */
static void reply_arc_add(qspn_manager *m, arc_t *a, qspn_etp *e)
{
    void *handle = a->handle;
    np_list q = {0};
    if (!qspn_revise(m, e, a, true, &q)) {
        qspn_np_list_free(m, &q);
        return; /* cyclic reply: warn and return (spec §8.22, kept) */
    }
    qspn_process_q(m, &q, 0, NULL, true);
    if (qspn_arc_by_handle(m, handle))
        qspn_tx_full_etp(m, a);
}

/* spec §3.10: the first full ETP from a peer of the right level ends the
 * bootstrap; other answers move on to the next queued arc. */
static void reply_bootstrap(qspn_manager *m, arc_t *a, qspn_etp *e)
{
    if (m->bootstrap_complete)
        return;
    int lvl = qspn_coord_of(m, &e->sender).lvl;
    if (lvl < m->guest_level || lvl >= m->into_level) {
        qspn_bootstrap_next(m);
        return;
    }
    np_list q = {0};
    if (!qspn_revise(m, e, a, true, &q)) {
        qspn_np_list_free(m, &q);
        qspn_bootstrap_next(m);
        return;
    }
    qspn_process_q(m, &q, 0, NULL, false);
    qspn_exit_bootstrap_phase(m);
}

/* A reply (or a failure) for the oldest outstanding request on the arc. */
static void on_reply_common(qspn_manager *m, void *handle, const uint8_t *frame, size_t len, bool failed)
{
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (!a || a->n_req == 0)
        return;
    pending_req r = a->req[0];
    memmove(&a->req[0], &a->req[1], (size_t)(a->n_req - 1) * sizeof *a->req);
    a->n_req--;
    qspn_msg msg;
    reply_outcome out = classify_reply(m, frame, len, failed, &msg);
    if (r.kind == REQ_BOOTSTRAP)
        m->bootstrap_querying = false;
    if (out != REPLY_ETP) {
        qspn_msg_free(&msg);
        if (out == REPLY_BAD)
            qspn_arc_drop(m, a, failed);
        if (r.kind == REQ_GATHER)
            qspn_gather_settle(m, r.gather_id);
        if (r.kind == REQ_BOOTSTRAP)
            qspn_bootstrap_next(m);
        return;
    }
    m->stats.etp_received++;
    if (r.kind == REQ_GATHER)
        reply_gather(m, a, &msg.etp, r.gather_id);
    else if (r.kind == REQ_ARC_ADD)
        reply_arc_add(m, a, &msg.etp);
    else
        reply_bootstrap(m, a, &msg.etp);
    qspn_msg_free(&msg);
}

void qspn_on_reply(qspn_manager *m, void *arc, const uint8_t *frame, size_t len)
{
    on_reply_common(m, arc, frame, len, false);
}

void qspn_on_request_failed(qspn_manager *m, void *arc)
{
    on_reply_common(m, arc, NULL, 0, true);
}

/* ---- PREPARE_DESTROY waves -------------------------------------------------- */

/* Waves of PREPARE_DESTROY already seen (the last 8), so each is forwarded once. */
void qspn_remember_wave(qspn_manager *m, uint64_t wave)
{
    if (m->n_seen_wave < 8)
        m->seen_wave[m->n_seen_wave++] = wave;
    else
        m->seen_wave[wave % 8] = wave;
}
