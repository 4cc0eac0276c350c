/* runtime.c - qspnd's running state: start-up plan, write-ahead state
 * records, teardown, and the commands quit / show / show_handlednics. */
#include "runtime.h"

#include "commands.h"
#include "show.h"
#include "system.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define G_LOG_DOMAIN_D "qspnd"

bool qspnd_read_macs(qspnd *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->opt.cfg.n_nics; i++) {
        qspnd_nic *n = &d->opt.cfg.nics[i];
        if (!kernel_link_mac(d->k, n->dev, n->mac, sizeof n->mac)) {
            snprintf(err, errlen, "no such interface '%s' (or it has no MAC address)", n->dev);
            return false;
        }
    }
    return true;
}

int qspnd_start(qspnd *d, char *err, size_t errlen)
{
    size_t done = 0;
    if (!d->startup)
        d->startup = plan_startup(&d->opt.cfg);
    int rc = kernel_apply_cancellable(d->k, (const kop *)d->startup->data, d->startup->len, &done,
                                      d->cancel, err, errlen);
    if (rc != 0) {
        GArray *rb = plan_rollback((const kop *)d->startup->data, done);
        char e2[256];
        g_log_structured(G_LOG_DOMAIN_D, G_LOG_LEVEL_WARNING, "MESSAGE",
                         "start-up %s after %zu of %u operations; rolling back",
                         rc == KERNEL_CANCELLED ? "interrupted by a signal" : "failed", done,
                         d->startup->len);
        (void)kernel_apply(d->k, (const kop *)rb->data, rb->len, NULL, e2, sizeof e2);
        g_array_free(rb, TRUE);
        return rc == KERNEL_CANCELLED ? KERNEL_CANCELLED : -1;
    }
    d->started = true;
    return 0;
}

static bool same_record(const state_record *a, const state_record *b)
{
    GString *x = g_string_new(NULL), *y = g_string_new(NULL);
    state_record_format(a, x);
    state_record_format(b, y);
    bool same = g_string_equal(x, y);
    g_string_free(x, TRUE);
    g_string_free(y, TRUE);
    return same;
}

bool qspnd_state_record(qspnd *d, const state_record *r, GError **error)
{
    if (!d->state)
        d->state = g_array_new(FALSE, TRUE, sizeof(state_record));
    g_array_append_val(d->state, *r);
    if (d->state_path && !state_file_write(d->state_path, d->state, error)) {
        g_array_remove_index(d->state, d->state->len - 1);
        return false;
    }
    return true;
}

bool qspnd_state_forget(qspnd *d, const state_record *r, GError **error)
{
    for (guint i = 0; d->state && i < d->state->len; i++)
        if (same_record(&g_array_index(d->state, state_record, i), r)) {
            g_array_remove_index(d->state, i);
            return !d->state_path || state_file_write(d->state_path, d->state, error);
        }
    return true;
}

/* The system's additions (forwarding tables, rules, marks, identity
 * namespaces, link-local routes) are noted in the state file before they are
 * made (write-ahead) and forgotten after they are removed. */
static void note_state(void *ctx, const kop *op, bool added)
{
    qspnd *d = ctx;
    state_record r;
    memset(&r, 0, sizeof r);
    switch (op->type) {
    case KOP_RULE_ADD:
    case KOP_RULE_DEL:
        r.kind = STATE_RULE;
        r.table = op->table;
        r.fwmark = op->fwmark;
        break;
    case KOP_RT_TABLES_ADD:
    case KOP_RT_TABLES_DEL:
        r.kind = STATE_RT_TABLES;
        r.table = op->table;
        g_strlcpy(r.name, op->table_name, sizeof r.name);
        break;
    case KOP_NETNS_ADD:
    case KOP_NETNS_DEL:
        r.kind = STATE_NETNS;
        g_strlcpy(r.netns, op->netns, sizeof r.netns);
        break;
    case KOP_MACVLAN_ADD:              /* created in the own namespace, then moved */
    case KOP_LINK_DEL:
        r.kind = STATE_LINK;
        g_strlcpy(r.dev, op->dev, sizeof r.dev);
        if (op->type == KOP_LINK_DEL)
            g_strlcpy(r.netns, op->netns, sizeof r.netns);
        break;
    default:
        return;
    }
    GError *ge = NULL;
    bool ok = added ? qspnd_state_record(d, &r, &ge) : qspnd_state_forget(d, &r, &ge);
    if (!ok) {
        g_log_structured(G_LOG_DOMAIN_D, G_LOG_LEVEL_WARNING, "MESSAGE", "state file: %s",
                         ge ? ge->message : "?");
        g_clear_error(&ge);
    }
}

int qspnd_run_system(qspnd *d, bool offline, char *err, size_t errlen)
{
    d->sys = g_new0(qsys, 1);
    if (!qsys_start(d->sys, &d->opt, d->k, d->loop, offline, err, errlen))
        return -1;
    d->sys->state_fn = note_state;
    d->sys->state_ctx = d;
    return 0;
}

void qspnd_free_system(qspnd *d)
{
    if (!d->sys)
        return;
    qsys_free(d->sys);
    g_free(d->sys);
    d->sys = NULL;
}

int qspnd_teardown(qspnd *d)
{
    char err[256];
    if (!d->started)
        return 0;
    d->started = false;
    int rc0 = d->sys ? qsys_stop(d->sys) : 0;
    GArray *td = plan_teardown(&d->opt.cfg);
    int rc = kernel_apply(d->k, (const kop *)td->data, td->len, NULL, err, sizeof err);
    g_array_free(td, TRUE);
    if (rc != 0)
        g_log_structured(G_LOG_DOMAIN_D, G_LOG_LEVEL_WARNING, "MESSAGE", "teardown: %s", err);
    return rc != 0 || rc0 != 0 ? -1 : 0;
}

/* ---- commands kept here: they concern the daemon as a whole ------------------- */

bool qspnd_cmd_quit(int argc, char **argv, GString *out, GString *err, void *user)
{
    qspnd *d = user;
    if (d->srv)
        control_server_stop(d->srv);       /* no more commands; cmd.fifo unlinked */
    int rc = qspnd_teardown(d);
    d->exit_code = rc == 0 ? 0 : 1;
    if (d->loop)
        g_main_loop_quit(d->loop);
    if (rc != 0) {
        g_string_append(err, "teardown incomplete (see the log)");
        return false;
    }
    return true;
}

char *qspnd_show_text(const qspnd *d)
{
    if (!d->sys)
        return g_strdup("state stopped\n");
    return qsys_show_text(d->sys);
}

bool qspnd_cmd_show(int argc, char **argv, GString *out, GString *err, void *user)
{
    qspnd *d = user;
    gchar *s;
    if (argc == 2) {
        if (strcmp(argv[1], "--json") != 0) {
            g_string_append(err, "unknown option for show (usage: show [--json])");
            return false;
        }
        s = d->sys ? qsys_show_json(d->sys) : g_strdup("{\"state\":\"stopped\"}");
        g_string_append(out, s);
        g_string_append_c(out, '\n');
    } else {
        s = qspnd_show_text(d);
        g_string_append(out, s);
    }
    g_free(s);
    return true;
}

bool qspnd_cmd_show_handlednics(int argc, char **argv, GString *out, GString *err, void *user)
{
    qspnd *d = user;
    char ip[NTK_STRLEN];
    bool json;
    if (!qspnd_show_args(argc, argv, "show_handlednics [--json]", 0, NULL, &json, err))
        return false;
    if (json) {
        gchar *doc = qspnd_json_handlednics(&d->opt.cfg);
        g_string_append_printf(out, "%s\n", doc);
        g_free(doc);
        return true;
    }
    for (size_t i = 0; i < d->opt.cfg.n_nics; i++) {
        const qspnd_nic *n = &d->opt.cfg.nics[i];
        ntk_ip_format(n->linklocal, ip, sizeof ip);
        g_string_append_printf(out, "handlednics: #%zu: %s = %s (has %s).\n", i, n->dev,
                               n->mac[0] ? n->mac : "-", ip);
    }
    return true;
}
