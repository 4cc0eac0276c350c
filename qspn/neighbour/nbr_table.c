/* nbr_table.c - neighbour discovery and keep-alive state machine. */
#include "nbr_table.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct nbr_table {
    uint32_t my_nnid;
    uint32_t hello_ms, dead_ms;
    nbr_event_fn fn;
    void *user;
    int n_nics;
    nbr_nic nics[NBR_MAX_NICS];
    int n, cap;
    nbr_arc **e;                  /* every neighbour heard, two-way or not */
    uint64_t next_id;
    nbr_stats stats;
};

nbr_table *nbr_table_new(uint32_t my_nnid, uint32_t hello_ms, uint32_t dead_ms, nbr_event_fn fn,
                         void *user)
{
    nbr_table *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->my_nnid = my_nnid;
    t->hello_ms = hello_ms;
    t->dead_ms = dead_ms;
    t->fn = fn;
    t->user = user;
    t->next_id = 1;
    return t;
}

void nbr_table_free(nbr_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n; i++)
        free(t->e[i]);
    free(t->e);
    free(t);
}

int nbr_add_nic(nbr_table *t, const char *dev, const nmsg_mac *mac, uint32_t ll)
{
    if (t->n_nics >= NBR_MAX_NICS || !dev || strlen(dev) >= NBR_DEVLEN)
        return -1;
    for (int i = 0; i < t->n_nics; i++)
        if (strcmp(t->nics[i].dev, dev) == 0 || nmsg_mac_equal(&t->nics[i].mac, mac) ||
            t->nics[i].ll == ll)
            return -1;
    nbr_nic *n = &t->nics[t->n_nics];
    strcpy(n->dev, dev);
    n->mac = *mac;
    n->ll = ll;
    return t->n_nics++;
}

int nbr_n_nics(const nbr_table *t)
{
    return t->n_nics;
}

const nbr_nic *nbr_nic_at(const nbr_table *t, int i)
{
    return i >= 0 && i < t->n_nics ? &t->nics[i] : NULL;
}

int nbr_nic_by_dev(const nbr_table *t, const char *dev)
{
    for (int i = 0; i < t->n_nics; i++)
        if (strcmp(t->nics[i].dev, dev) == 0)
            return i;
    return -1;
}

static void drop_at(nbr_table *t, int i, nbr_down_reason why)
{
    nbr_arc *a = t->e[i];
    memmove(&t->e[i], &t->e[i + 1], (size_t)(t->n - i - 1) * sizeof *t->e);
    t->n--;
    if (a->two_way && t->fn)
        t->fn(t->user, NBR_ARC_DOWN, a, why);
    free(a);
}

/* The HEAD consistency rules: true when (nnid, mac, ll) on nic may be accepted. */
static bool consistent(nbr_table *t, int nic, uint32_t nnid, const nmsg_hello *h)
{
    for (int i = 0; i < t->n_nics; i++)
        if (t->nics[i].ll == h->ll || nmsg_mac_equal(&t->nics[i].mac, &h->mac))
            return false;
    for (int i = 0; i < t->n; i++) {
        const nbr_arc *a = t->e[i];
        bool same_mac = nmsg_mac_equal(&a->peer_mac, &h->mac);
        if (same_mac && a->peer_nnid != nnid)
            return false;                       /* MAC known under another NNID */
        if (a->peer_ll == h->ll && !(same_mac && a->peer_nnid == nnid))
            return false;                       /* link-local of another neighbour */
        if (a->peer_nnid == nnid) {
            if (same_mac && a->nic == nic && a->peer_ll != h->ll)
                return false;                   /* a MAC's link-local is fixed */
            if (same_mac != (a->nic == nic))
                return false;                   /* one arc per collision domain */
        }
    }
    return true;
}

static nbr_arc *find_entry(nbr_table *t, int nic, uint32_t nnid, const nmsg_mac *mac, int *idx)
{
    for (int i = 0; i < t->n; i++) {
        nbr_arc *a = t->e[i];
        if (a->nic == nic && a->peer_nnid == nnid && nmsg_mac_equal(&a->peer_mac, mac)) {
            if (idx)
                *idx = i;
            return a;
        }
    }
    return NULL;
}

static int count_on_nic(const nbr_table *t, int nic)
{
    int c = 0;
    for (int i = 0; i < t->n; i++)
        c += t->e[i]->nic == nic;
    return c;
}

/* Does h list me (my NNID and my MAC on nic)?  *echo receives that entry. */
static const nmsg_heard *lists_me(const nbr_table *t, int nic, const nmsg_hello *h)
{
    for (int i = 0; i < h->n_heard; i++)
        if (h->heard[i].nnid == t->my_nnid && nmsg_mac_equal(&h->heard[i].mac, &t->nics[nic].mac))
            return &h->heard[i];
    return NULL;
}

void nbr_on_hello(nbr_table *t, int nic, int64_t now_us, uint32_t nnid, const nmsg_hello *h)
{
    if (nic < 0 || nic >= t->n_nics)
        return;
    t->stats.received++;
    if (nnid == t->my_nnid) {
        t->stats.ignored_self++;
        return;
    }
    int idx = -1;
    nbr_arc *a = find_entry(t, nic, nnid, &h->mac, &idx);
    if (!a && h->bye)
        return;
    if (!consistent(t, nic, nnid, h)) {
        t->stats.ignored_conflict++;
        return;
    }
    if (h->bye) {
        drop_at(t, idx, NBR_DOWN_BYE);
        return;
    }
    if (!a) {
        if (count_on_nic(t, nic) >= NMSG_MAX_HEARD) {
            t->stats.ignored_full++;
            return;
        }
        a = calloc(1, sizeof *a);
        if (!a)
            abort();
        a->id = t->next_id++;
        a->nic = nic;
        a->peer_nnid = nnid;
        a->peer_mac = h->mac;
        a->peer_ll = h->ll;
        a->rtt_us = -1;
        QSPN_GROW(t->e, t->n, t->cap, 8);
        idx = t->n;
        t->e[t->n++] = a;
    }
    a->last_heard_us = now_us;
    a->peer_dead_ms = h->dead_ms;
    a->peer_ts_us = h->ts_us;
    const nmsg_heard *me = lists_me(t, nic, h);
    if (me) {
        int64_t rtt = (int64_t)(uint32_t)((uint32_t)now_us - me->echo_ts_us) - (int64_t)me->hold_us;
        if (me->echo_ts_us != 0 && rtt >= 0 && rtt < 60 * 1000000LL)
            a->rtt_us = rtt;
        if (!a->two_way) {
            a->two_way = true;
            if (t->fn)
                t->fn(t->user, NBR_ARC_UP, a, NBR_DOWN_DEAD);
        }
    } else if (a->two_way) {
        /* it stopped hearing me: the arc is down, the entry stays (one-way) */
        a->two_way = false;
        if (t->fn)
            t->fn(t->user, NBR_ARC_DOWN, a, NBR_DOWN_ONE_WAY);
    }
}

static int64_t dead_at(const nbr_arc *a)
{
    return a->last_heard_us + (int64_t)a->peer_dead_ms * 1000;
}

int64_t nbr_tick(nbr_table *t, int64_t now_us)
{
    for (int i = 0; i < t->n;) {
        if (now_us >= dead_at(t->e[i])) {
            drop_at(t, i, NBR_DOWN_DEAD);
            continue;
        }
        i++;
    }
    return nbr_next_deadline(t);
}

int64_t nbr_next_deadline(const nbr_table *t)
{
    int64_t next = INT64_MAX;
    for (int i = 0; i < t->n; i++)
        if (dead_at(t->e[i]) < next)
            next = dead_at(t->e[i]);
    return next;
}

void nbr_build_hello(const nbr_table *t, int nic, int64_t now_us, bool bye, nmsg_hello *out)
{
    memset(out, 0, sizeof *out);
    if (nic < 0 || nic >= t->n_nics)
        return;
    out->mac = t->nics[nic].mac;
    out->ll = t->nics[nic].ll;
    out->ts_us = (uint32_t)now_us;
    if (out->ts_us == 0)
        out->ts_us = 1;                        /* 0 means "never heard" in the echo */
    out->hello_ms = (uint16_t)t->hello_ms;
    out->dead_ms = (uint16_t)t->dead_ms;
    out->bye = bye;
    for (int i = 0; i < t->n && out->n_heard < NMSG_MAX_HEARD && !bye; i++) {
        const nbr_arc *a = t->e[i];
        if (a->nic != nic)
            continue;
        nmsg_heard *h = &out->heard[out->n_heard++];
        h->nnid = a->peer_nnid;
        h->mac = a->peer_mac;
        h->echo_ts_us = a->peer_ts_us;
        int64_t hold = now_us - a->last_heard_us;
        h->hold_us = hold < 0 ? 0 : hold > UINT32_MAX ? UINT32_MAX : (uint32_t)hold;
    }
}

bool nbr_remove(nbr_table *t, uint64_t arc_id)
{
    for (int i = 0; i < t->n; i++)
        if (t->e[i]->id == arc_id) {
            drop_at(t, i, NBR_DOWN_LOCAL);
            return true;
        }
    return false;
}

int nbr_arcs(const nbr_table *t, const nbr_arc **out, int max)
{
    int c = 0;
    for (int i = 0; i < t->n; i++)
        if (t->e[i]->two_way) {
            if (c < max)
                out[c] = t->e[i];
            c++;
        }
    return c;
}

const nbr_arc *nbr_find_arc(const nbr_table *t, int nic, const nmsg_mac *peer_mac)
{
    for (int i = 0; i < t->n; i++)
        if (t->e[i]->two_way && t->e[i]->nic == nic && nmsg_mac_equal(&t->e[i]->peer_mac, peer_mac))
            return t->e[i];
    return NULL;
}

const nbr_arc *nbr_find_by_id(const nbr_table *t, uint64_t id)
{
    for (int i = 0; i < t->n; i++)
        if (t->e[i]->id == id)
            return t->e[i];
    return NULL;
}

const nbr_arc *nbr_find_by_ll(const nbr_table *t, uint32_t ll, uint32_t nnid)
{
    for (int i = 0; i < t->n; i++)
        if (t->e[i]->two_way && t->e[i]->peer_ll == ll && t->e[i]->peer_nnid == nnid)
            return t->e[i];
    return NULL;
}

const nbr_stats *nbr_get_stats(const nbr_table *t)
{
    return &t->stats;
}

uint32_t nbr_my_nnid(const nbr_table *t)
{
    return t->my_nnid;
}
