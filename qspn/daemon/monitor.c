/* monitor.c - the subscribers of `qspnctl monitor` and the `monitor` command
 * (see monitor.h).  The emitters of the running system are in monemit.c. */
#include "monitor.h"

#include <string.h>

#include "control_stream.h"
#include "runtime.h"

#define DOMAIN "qspnd"

typedef struct {
    control_stream *st;
    bool json;
} qmon_sub;

struct qmon {
    qmon_sub subs[QMON_MAX_SUBSCRIBERS];
    size_t n;
    uint64_t seq;
    qsys *sys;
    GString *text, *json;          /* the current event, formatted once per form */
};

qmon *qmon_new(void)
{
    qmon *m = g_new0(qmon, 1);
    m->text = g_string_new(NULL);
    m->json = g_string_new(NULL);
    return m;
}

void qmon_free(qmon *m)
{
    if (!m)
        return;
    g_string_free(m->text, TRUE);
    g_string_free(m->json, TRUE);
    g_free(m);
}

void qmon_attach(qmon *m, qsys *s)
{
    if (m)
        m->sys = s;
}

size_t qmon_subscribers(const qmon *m)
{
    return m ? m->n : 0;
}

static void remove_at(qmon *m, size_t i)
{
    memmove(&m->subs[i], &m->subs[i + 1], (m->n - i - 1) * sizeof m->subs[0]);
    m->n--;
}

/* The stream ended by itself (reader gone, too slow, qspnd stopping). */
static void on_gone(control_stream *st, const char *why, void *user)
{
    qmon *m = user;
    for (size_t i = 0; i < m->n; i++)
        if (m->subs[i].st == st) {
            g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "monitor %s ended: %s (%zu left)",
                             control_stream_id(st), why, m->n - 1);
            remove_at(m, i);
            return;
        }
}

void qmon_emit(qmon *m, qmon_event *ev)
{
    if (!m || m->n == 0)
        return;
    ev->seq = ++m->seq;
    ev->time_us = g_get_real_time();
    g_string_truncate(m->text, 0);
    g_string_truncate(m->json, 0);
    /* backwards: a stream that ends inside send() is removed at its index */
    for (size_t i = m->n; i-- > 0;) {
        GString *line = m->subs[i].json ? m->json : m->text;
        if (line->len == 0) {
            if (m->subs[i].json)
                qmon_format_json(ev, line);
            else
                qmon_format_text(ev, line);
        }
        control_stream_send(m->subs[i].st, line->str);
    }
}

/* Every identity's current best paths become the reference (no event): a
 * new audience hears only of what changes after it came. */
static void prime_paths(qmon *m)
{
    qsys *s = m->sys;
    for (int i = 0; s && i < idm_n_identities(s->idm); i++) {
        qmon_paths_prime(idm_identity_at(s->idm, i)->user);
    }
}

void qspnd_cmd_monitor(int argc, char **argv, control_request *req, void *user)
{
    qspnd *d = user;
    qmon *m = d->mon;
    if (argc == 2 && strcmp(argv[1], "--json") != 0) {
        control_request_reply(req, false, NULL, "unknown option for monitor (usage: monitor [--json])");
        return;
    }
    if (!m) {
        control_request_reply(req, false, NULL, "monitor not available");
        return;
    }
    if (m->n >= QMON_MAX_SUBSCRIBERS) {
        gchar *why = g_strdup_printf("too many monitors (%d already subscribed)", QMON_MAX_SUBSCRIBERS);
        control_request_reply(req, false, NULL, why);
        g_free(why);
        return;
    }
    bool json = argc == 2;
    control_stream *st = control_request_stream(req, 0, 0, on_gone, m);
    if (!st)
        return;
    if (m->n == 0)
        prime_paths(m);
    m->subs[m->n].st = st;
    m->subs[m->n].json = json;
    m->n++;
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "monitor %s subscribed (%s, %zu in all)",
                     control_stream_id(st), json ? "json" : "text", m->n);
}

void qmon_stopping(qmon *m)
{
    qmon_event ev;
    if (!m || m->n == 0)
        return;
    memset(&ev, 0, sizeof ev);
    ev.type = QMON_DAEMON_STOPPING;
    qmon_emit(m, &ev);
}

void qmon_kernel_observer(void *ctx, const kernel *k, const kop *op, const char *line,
                          kernel_op_result result, const char *err)
{
    qmon *m = ctx;
    if (!m || m->n == 0)
        return;
    qmon_event *ev = g_new0(qmon_event, 1);
    ev->type = QMON_KERNEL;
    g_strlcpy(ev->netns, k->label, sizeof ev->netns);
    g_strlcpy(ev->op, line, sizeof ev->op);
    ev->result = result == KERNEL_OP_OK ? QMON_KOP_OK
                 : result == KERNEL_OP_IGNORED ? QMON_KOP_IGNORED : QMON_KOP_ERROR;
    g_strlcpy(ev->error, err ? err : "", sizeof ev->error);
    qmon_emit(m, ev);
    if (result == KERNEL_OP_OK && (op->type == KOP_ADDR_ADD || op->type == KOP_ADDR_DEL)) {
        ev->type = op->type == KOP_ADDR_ADD ? QMON_IP_ADDRESS_ADDED : QMON_IP_ADDRESS_REMOVED;
        ntk_ip_format(op->addr, ev->ip, sizeof ev->ip);
        ev->prefix = op->prefix;
        g_strlcpy(ev->dev, op->dev, sizeof ev->dev);
        qmon_emit(m, ev);
    }
    g_free(ev);
}
