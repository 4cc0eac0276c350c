/* peerids.c - the identity-arcs of connectivity identities on a newly accepted
 * arc (UseCases18, "Rimozione identita' di connettivita'"): a main identity is
 * willing to form an identity-arc with any identity, a connectivity identity
 * only with identities of the g-node whose connectivity it supports; an
 * identity-arc forms when both are willing.  The main identity-arc is made by
 * add_real_arc itself (GET_PEER_MAIN_ID); this asks the neighbour for all its
 * identities (GET_PEER_IDENTITIES) and makes the others.  The 2017 Identities
 * module made only the main one (behaviour.md §5.3). */
#include "system.h"

#include <string.h>

#define DOMAIN "qspnd"
#define PEER_IDS_TIMEOUT_MS 2000

/* The level whose g-node the identity supports: 0 for the main identity. */
static int conn_level(const qsys *s, const qid *q)
{
    if (idm_is_main(s->idm, q->ident))
        return 0;
    return q->conn_to > 0 ? q->conn_to : q->addr.levels;
}

static bool identity_info(const qsys *s, const qid *q, int nic, nmsg_identity_info *out)
{
    const idm_identity *id = q->ident;
    if (q->dismissing || !id->nics[nic].dev[0] || q->addr.levels < 1 || q->addr.levels > NMSG_MAX_LEVELS)
        return false;
    memset(out, 0, sizeof *out);
    out->nodeid = id->nodeid;
    out->conn_to = (uint8_t)conn_level(s, q);
    out->mac = id->nics[nic].mac;
    out->ll = id->nics[nic].ll;
    out->levels = (uint8_t)q->addr.levels;
    for (int l = 0; l < q->addr.levels; l++)
        out->pos[l] = (uint16_t)q->addr.pos[l];
    return true;
}

void qsys_answer_identities(qsys *s, const nbr_arc *a, const nmsg *m)
{
    nmsg_identity_info ids[NMSG_MAX_IDENTITIES];
    int n = 0;
    bool have_main = false;
    for (int i = 0; i < idm_n_identities(s->idm) && n < NMSG_MAX_IDENTITIES; i++) {
        const qid *q = idm_identity_at(s->idm, i)->user;
        if (q && identity_info(s, q, a->nic, &ids[n])) {
            have_main = have_main || ids[n].conn_to == 0;
            n++;
        }
    }
    nmsg_buf b = { 0 };
    if (have_main)
        nmsg_encode_reply_identities(&b, s->nnid, m->request_id, ids, n);
    else
        nmsg_encode_reply_status(&b, s->nnid, m->request_id, m->type, NMSG_ST_GENERIC);
    rpc_send(s, a, &b);
    nmsg_buf_free(&b);
}

/* Every identity-arc both ends are willing to form, except main-main. */
static void form_idarcs(qsys *s, const qreal *r, const nmsg *reply)
{
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        idm_identity *x = idm_identity_at(s->idm, i);
        const qid *q = x->user;
        if (!q || q->dismissing || !x->nics[r->nic].dev[0])
            continue;
        int xconn = conn_level(s, q);
        for (int j = 0; j < reply->u.reply.n_identities; j++) {
            const nmsg_identity_info *y = &reply->u.reply.identities[j];
            int ypos[NMSG_MAX_LEVELS];
            if ((xconn == 0 && y->conn_to == 0) || y->levels != q->addr.levels)
                continue;
            for (int l = 0; l < y->levels; l++)
                ypos[l] = y->pos[l];
            if (!idm_willing(xconn, q->addr.pos, ypos, y->levels) ||
                !idm_willing(y->conn_to, ypos, q->addr.pos, y->levels) ||
                idm_find_idarc(s->idm, x, r->id, y->nodeid))
                continue;
            idm_add_idarc(s->idm, x, r->id, y->nodeid, &y->mac, y->ll);
        }
    }
}

typedef struct {
    uint64_t arc;
    qsys_peerids_done done;
    void *user;
} peerids_call;

static void on_identities(qsys *s, void *user, const nmsg *reply)
{
    peerids_call *c = user;
    qreal *r = qsys_real(s, c->arc);
    if (r && reply && reply->u.reply.status == NMSG_ST_OK && reply->u.reply.req_type == NMSG_GET_PEER_IDENTITIES)
        form_idarcs(s, r, reply);
    else if (r)
        g_log_structured(DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                         "the neighbour of arc %" G_GUINT64_FORMAT " did not list its identities: "
                         "only the main identity-arc is made", c->arc);
    c->done(s, c->user);
    g_free(c);
}

void qsys_ask_peer_identities(qsys *s, uint64_t arc, qsys_peerids_done done, void *user)
{
    const nbr_arc *a = nbr_find_by_id(s->nbr, arc);
    peerids_call *c = g_new0(peerids_call, 1);
    c->arc = arc;
    c->done = done;
    c->user = user;
    uint32_t id = rpc_new_id(s);
    nmsg_buf b = { 0 };
    nmsg_encode_get_peer_identities(&b, s->nnid, id);
    rpc_call(s, a, id, a ? &b : NULL, PEER_IDS_TIMEOUT_MS, on_identities, c);
    nmsg_buf_free(&b);
}
