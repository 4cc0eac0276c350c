/* commands.c - the control commands, with the original program's names,
 * arguments and print-outs (behaviour.md §6.2, catalogue.md §5), plus show,
 * help and pin_operation (testbeds).  Arguments are parsed with explicit
 * bounds; a refused command changes nothing.  docs/control.md lists them. */
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "enter.h"
#include "show.h"

#define DOMAIN "qspnd"
#define MAIN_ID_TRIES 3
#define MAIN_ID_TIMEOUT_MS 2000

static qsys *sys_of(void *user)
{
    return ((qspnd *)user)->sys;
}

/* ---- argument parsers ------------------------------------------------------------------ */

static bool parse_int(const char *w, long min, long max, const char *what, long *out, GString *err)
{
    return control_parse_long(w, min, max, what, out, err);
}

static bool parse_mac(const char *w, nmsg_mac *m, GString *err)
{
    if (nmsg_mac_parse(w, m) && nmsg_mac_valid(m))
        return true;
    g_string_append_printf(err, "bad MAC '%.32s'", w);
    return false;
}

qid *qspnd_identity_arg(qsys *s, const char *w, GString *err)
{
    long i;
    idm_identity *id = NULL;
    if (control_parse_long(w, 0, 1000000, "local_identity_index", &i, NULL))
        id = idm_by_index(s->idm, (int)i);
    if (!id || !id->user) {
        g_string_append_printf(err, "wrong local_identity_index '%.32s'", w);
        return NULL;
    }
    return id->user;
}

/* ---- arcs --------------------------------------------------------------------------------- */

static const nbr_arc *arc_by_macs(qsys *s, const char *mine_w, const char *peer_w, GString *err)
{
    nmsg_mac mine, peer;
    if (!parse_mac(mine_w, &mine, err) || !parse_mac(peer_w, &peer, err))
        return NULL;
    for (int i = 0; i < nbr_n_nics(s->nbr); i++)
        if (nmsg_mac_equal(&nbr_nic_at(s->nbr, i)->mac, &mine)) {
            const nbr_arc *a = nbr_find_arc(s->nbr, i, &peer);
            if (a)
                return a;
        }
    g_string_append_printf(err, "wrong MAC pair '%.17s-%.17s'", mine_w, peer_w);
    return NULL;
}

typedef struct {
    control_request *req;
    uint64_t arc;
    int tries;
} main_id_call;

static void ask_main_id(qsys *s, main_id_call *c);
static void real_arc_done(qsys *s, void *user);

/* The accepted arc of the call, or NULL after answering (and freeing c). */
static qreal *call_real(qsys *s, main_id_call *c)
{
    qreal *r = qsys_real(s, c->arc);
    if (!r) {
        control_request_reply(c->req, false, NULL, "the arc went away");
        g_free(c);
    }
    return r;
}

static void on_main_id(qsys *s, void *user, const nmsg *reply)
{
    main_id_call *c = user;
    qreal *r = call_real(s, c);
    if (!r)
        return;
    if (!reply || reply->u.reply.status != NMSG_ST_OK) {
        if (++c->tries < MAIN_ID_TRIES && nbr_find_by_id(s->nbr, c->arc)) {
            ask_main_id(s, c);
            return;
        }
        qsys_forget_real(s, r);
        control_request_reply(c->req, false, NULL, "the neighbour did not tell its main identity");
        g_free(c);
        return;
    }
    idm_identity *main_id = idm_main(s->idm);
    if (!idm_find_idarc(s->idm, main_id, r->id, reply->u.reply.main_id))
        idm_add_idarc(s->idm, main_id, r->id, reply->u.reply.main_id, &r->peer_mac, r->peer_ll);
    qsys_retry_parked(s);
    /* the connectivity identities' identity-arcs, then the answer */
    qsys_ask_peer_identities(s, c->arc, real_arc_done, c);
}

static void real_arc_done(qsys *s, void *user)
{
    main_id_call *c = user;
    qreal *r = call_real(s, c);
    if (!r)
        return;
    qsys_retry_parked(s);
    char mine[24], peer[24], ll[NTK_STRLEN];
    nmsg_mac_format(&nbr_nic_at(s->nbr, r->nic)->mac, mine, sizeof mine);
    nmsg_mac_format(&r->peer_mac, peer, sizeof peer);
    ntk_ip_format(r->peer_ll, ll, sizeof ll);
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "real_arc '%s-%s': peer_linklocal %s, cost %uus",
                     mine, peer, ll, r->cost);
    control_request_reply(c->req, true, "", NULL);
    g_free(c);
}

static void ask_main_id(qsys *s, main_id_call *c)
{
    const nbr_arc *a = nbr_find_by_id(s->nbr, c->arc);
    uint32_t id = rpc_new_id(s);
    nmsg_buf b = { 0 };
    nmsg_encode_get_peer_main_id(&b, s->nnid, id);
    rpc_call(s, a, id, a ? &b : NULL, MAIN_ID_TIMEOUT_MS, on_main_id, c);
    nmsg_buf_free(&b);
}

static void cmd_add_real_arc(int argc, char **argv, control_request *req, void *user)
{
    qsys *s = sys_of(user);
    GString *err = g_string_new(NULL);
    long cost;
    const nbr_arc *a = arc_by_macs(s, argv[1], argv[2], err);
    if (!a || !parse_int(argv[3], 1, 0x7FFFFFFE, "cost (microseconds)", &cost, err)) {
        control_request_reply(req, false, NULL, err->str);
        g_string_free(err, TRUE);
        return;
    }
    g_string_free(err, TRUE);
    if (qsys_real(s, a->id)) {
        control_request_reply(req, true, "Already there.\n", NULL);
        return;
    }
    qreal *r = g_new0(qreal, 1);
    r->id = a->id;
    r->nic = a->nic;
    r->peer_nnid = a->peer_nnid;
    r->peer_mac = a->peer_mac;
    r->peer_ll = a->peer_ll;
    r->cost = (uint32_t)cost;
    g_ptr_array_add(s->reals, r);
    idm_arc ia = { r->id, r->nic, r->peer_mac, r->peer_ll };
    idm_add_arc(s->idm, &ia);
    main_id_call *c = g_new0(main_id_call, 1);
    c->req = req;
    c->arc = r->id;
    ask_main_id(s, c);
}

static bool cmd_change_real_arc(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    nmsg_mac mine, peer;
    long cost;
    if (!parse_mac(argv[1], &mine, err) || !parse_mac(argv[2], &peer, err) ||
        !parse_int(argv[3], 1, 0x7FFFFFFE, "cost (microseconds)", &cost, err))
        return false;
    qreal *r = qsys_real_by_macs(s, &mine, &peer);
    if (!r) {
        g_string_append_printf(err, "wrong MAC pair '%.17s-%.17s'", argv[1], argv[2]);
        return false;
    }
    r->cost = (uint32_t)cost;
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        idm_identity *id = idm_identity_at(s->idm, i);
        qid *q = id->user;
        for (guint j = 0; q && q->m && j < id->arcs->len; j++) {
            idm_idarc *w = g_ptr_array_index(id->arcs, j);
            qwarc *a = w->user;
            if (w->arc == r->id && a && a->qspn)
                qspn_arc_is_changed(q->m, a, r->cost);
        }
    }
    return true;
}

static bool cmd_remove_real_arc(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    nmsg_mac mine, peer;
    if (!parse_mac(argv[1], &mine, err) || !parse_mac(argv[2], &peer, err))
        return false;
    qreal *r = qsys_real_by_macs(s, &mine, &peer);
    if (!r) {
        g_string_append_printf(err, "wrong MAC pair '%.17s-%.17s'", argv[1], argv[2]);
        return false;
    }
    qsys_forget_real(s, r);
    return true;
}

static bool cmd_add_qspn_arc(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    qid *q = qspnd_identity_arg(s, argv[1], err);
    nmsg_mac peer;
    if (!q || !parse_mac(argv[3], &peer, err))
        return false;
    int nic = nbr_nic_by_dev(s->nbr, argv[2]);
    if (nic < 0) {
        g_string_append_printf(err, "'%.16s' is not a managed interface", argv[2]);
        return false;
    }
    idm_idarc *w = idm_find_idarc_by_mac(s->idm, q->ident, nic, &peer);
    qwarc *a = qwarc_of(w);
    if (!a) {
        g_string_append_printf(err, "identity #%d has no identity-arc to %.17s on %.16s", q->ident->index,
                               argv[3], argv[2]);
        return false;
    }
    if (a->qspn) {
        g_string_append(out, "Already there.\n");
        return true;
    }
    if (!qid_add_qspn_arc(q, a, qsys_arc_cost(s, w->arc), true)) {
        g_string_append(err, "no forwarding table number left");
        return false;
    }
    qsys_sync_rt_tables(s);
    return true;
}

/* ---- identities ------------------------------------------------------------------------------ */

static bool cmd_prepare(int argc, char **argv, GString *out, GString *err, void *user, bool migrate)
{
    qsys *s = sys_of(user);
    qop_params p;
    memset(&p, 0, sizeof p);
    p.migrate = migrate;
    if (!qop_parse_args(&s->opt->cfg.topo, argc, argv, &p, err))
        return false;
    if (!migrate && !qop_parse_arc_list(argv[12], &p, err))
        return false;
    char e[256];
    if (qop_prepare(s, &p, e, sizeof e)) {
        g_string_append(err, e);
        return false;
    }
    return true;
}

static bool cmd_prepare_enter(int argc, char **argv, GString *out, GString *err, void *user)
{
    return cmd_prepare(argc, argv, out, err, user, false);
}

static bool cmd_prepare_migrate(int argc, char **argv, GString *out, GString *err, void *user)
{
    return cmd_prepare(argc, argv, out, err, user, true);
}

static void phase1_done(qop *op, bool ok, const char *reason)
{
    control_request *req = op->done_ctx;
    op->done = NULL;
    if (!ok) {
        control_request_reply(req, false, NULL, reason);
        return;
    }
    gchar *body = g_strdup_printf("%d\n", op->nw->ident->index);
    control_request_reply(req, true, body, NULL);
    g_free(body);
}

static qop *operation_arg(qsys *s, char **argv, bool migrate, GString *err)
{
    long idx, opid;
    if (!parse_int(argv[1], 0, 1000000, "old identity index", &idx, err) ||
        !parse_int(argv[2], 0, 0x7FFFFFFF, "operation id", &opid, err))
        return NULL;
    qop *op = qop_find(s, (int)idx, (uint32_t)opid);
    if (!op || op->p.migrate != migrate) {
        g_string_append_printf(err, "no %s operation %ld prepared for identity #%ld",
                               migrate ? "migration" : "entry", opid, idx);
        return NULL;
    }
    return op;
}

static void phase1(int argc, char **argv, control_request *req, void *user, bool migrate)
{
    qsys *s = sys_of(user);
    GString *err = g_string_new(NULL);
    char e[256];
    qop *op = operation_arg(s, argv, migrate, err);
    if (op) {
        op->done = phase1_done;
        op->done_ctx = req;
        if (!qop_phase1(op, e, sizeof e)) {
            op->done = NULL;
            g_string_append(err, e);
            op = NULL;
        }
    }
    if (!op)
        control_request_reply(req, false, NULL, err->str);
    g_string_free(err, TRUE);
}

static void cmd_enter_phase1(int argc, char **argv, control_request *req, void *user)
{
    phase1(argc, argv, req, user, false);
}

static void cmd_migrate_phase1(int argc, char **argv, control_request *req, void *user)
{
    phase1(argc, argv, req, user, true);
}

static bool phase2(int argc, char **argv, GString *err, void *user, bool migrate)
{
    qsys *s = sys_of(user);
    qop *op = operation_arg(s, argv, migrate, err);
    char e[256];
    if (!op)
        return false;
    if (!op->phase1_done || op->phase2_done) {
        g_string_append(err, op->phase2_done ? "phase 2 already done" : "phase 1 not done");
        return false;
    }
    if (!qop_phase2(op, e, sizeof e)) {
        g_string_append(err, e);
        return false;
    }
    return true;
}

static bool cmd_enter_phase2(int argc, char **argv, GString *out, GString *err, void *user)
{
    return phase2(argc, argv, err, user, false);
}

static bool cmd_migrate_phase2(int argc, char **argv, GString *out, GString *err, void *user)
{
    return phase2(argc, argv, err, user, true);
}

/* pin_operation OP_ID NAME [DEV MAC LINKLOCAL]... */
static bool cmd_pin(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    long op;
    if (!parse_int(argv[1], 0, 0x7FFFFFFF, "operation id", &op, err))
        return false;
    if (!qspnd_netns_name_valid(argv[2]) || strlen(argv[2]) > 11) {
        g_string_append_printf(err, "bad name '%.32s' (at most 11 characters of [A-Za-z0-9_.-])", argv[2]);
        return false;
    }
    if ((argc - 3) % 3 != 0) {
        g_string_append(err, "pins of interfaces come in triples: DEV MAC LINKLOCAL");
        return false;
    }
    qpin pin;
    memset(&pin, 0, sizeof pin);
    g_strlcpy(pin.name, argv[2], sizeof pin.name);
    for (int i = 3; i + 2 < argc; i += 3) {
        int nic = nbr_nic_by_dev(s->nbr, argv[i]);
        ntk_cidr ll;
        if (nic < 0) {
            g_string_append_printf(err, "'%.16s' is not a managed interface", argv[i]);
            return false;
        }
        if (!parse_mac(argv[i + 1], &pin.mac[nic], err))
            return false;
        if (!ntk_cidr_parse(argv[i + 2], &ll) || ll.prefix != 32 || !nmsg_ll_valid(ll.addr)) {
            g_string_append_printf(err, "bad link-local '%.32s'", argv[i + 2]);
            return false;
        }
        pin.has_nic[nic] = true;
        pin.ll[nic] = ll.addr;
    }
    int key = (int)op;
    g_hash_table_replace(s->pins, g_memdup2(&key, sizeof key), g_memdup2(&pin, sizeof pin));
    return true;
}

/* ---- show and friends --------------------------------------------------------------------- */

static bool cmd_update_all_routes(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    qid *q = qspnd_identity_arg(s, argv[1], err);
    if (!q)
        return false;
    qns_sync_now(q->ns);
    return true;
}

static bool cmd_check_connectivity(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    qid *q = qspnd_identity_arg(s, argv[1], err);
    if (!q)
        return false;
    bool can = q->m && !idm_is_main(s->idm, q->ident) && qspn_check_connectivity(q->m);
    g_string_append(out, can ? "This identity can be removed.\n" : "This identity CANNOT be removed.\n");
    return true;
}

/* Not an original command: the original dismissed connectivity identities by
 * itself (behaviour.md 5.14); here the operator decides, and QSPN must agree. */
static bool cmd_dismiss_identity(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    qid *q = qspnd_identity_arg(s, argv[1], err);
    if (!q)
        return false;
    if (idm_is_main(s->idm, q->ident)) {
        g_string_append_printf(err, "identity #%d is the main identity", q->ident->index);
        return false;
    }
    if (q->conn_to == 0 || !q->m) {
        g_string_append_printf(err, "identity #%d is not a connectivity identity", q->ident->index);
        return false;
    }
    if (!qspn_check_connectivity(q->m)) {
        g_string_append_printf(err, "identity #%d cannot be dismissed: a g-node of levels %d..%d "
                               "would split without it (check_connectivity)",
                               q->ident->index, q->conn_from, q->conn_to);
        return false;
    }
    qid_dismiss(q);
    return true;
}

static bool cmd_print_time_ruler(int argc, char **argv, GString *out, GString *err, void *user)
{
    return qsys_time_ruler(sys_of(user), argv[1], err);
}

static bool cmd_help(int argc, char **argv, GString *out, GString *err, void *user);

static const control_command commands[] = {
    { .name = "quit", .fn = qspnd_cmd_quit, .usage = "quit",
      .help = "remove everything qspnd added to the kernel and exit" },
    { .name = "show", .max_args = 1, .fn = qspnd_cmd_show, .usage = "show [--json]",
      .help = "the whole state (neighbours, identities, addresses, tables, rules, NAT, counters)" },
    { .name = "show_handlednics", .max_args = 1, .fn = qspnd_cmd_show_handlednics,
      .usage = "show_handlednics [--json]",
      .help = "managed interfaces" },
    { .name = "show_local_identities", .max_args = 1, .fn = qspnd_cmd_show_local_identities,
      .usage = "show_local_identities [--json]",
      .help = "every local identity (original print-out)" },
    { .name = "show_neighborhood_arcs", .max_args = 1, .fn = qspnd_cmd_show_neighborhood_arcs,
      .usage = "show_neighborhood_arcs [--json]",
      .help = "arcs the neighbourhood found" },
    { .name = "add_real_arc", .min_args = 3, .max_args = 3, .async_fn = cmd_add_real_arc,
      .usage = "add_real_arc MY_MAC PEER_MAC COST_US", .help = "accept an arc with a cost (microseconds)" },
    { .name = "change_real_arc", .min_args = 3, .max_args = 3, .fn = cmd_change_real_arc,
      .usage = "change_real_arc MY_MAC PEER_MAC COST_US", .help = "change the cost of an accepted arc" },
    { .name = "remove_real_arc", .min_args = 2, .max_args = 2, .fn = cmd_remove_real_arc,
      .usage = "remove_real_arc MY_MAC PEER_MAC", .help = "stop using an accepted arc" },
    { .name = "show_real_arcs", .max_args = 1, .fn = qspnd_cmd_show_real_arcs, .usage = "show_real_arcs [--json]",
      .help = "accepted arcs" },
    { .name = "show_identity_arcs", .min_args = 1, .max_args = 2, .fn = qspnd_cmd_show_identity_arcs,
      .usage = "show_identity_arcs LOCAL_ID [--json]", .help = "identity-arcs of an identity (original print-out)" },
    { .name = "add_qspn_arc", .min_args = 3, .max_args = 3, .fn = cmd_add_qspn_arc,
      .usage = "add_qspn_arc LOCAL_ID DEV PEER_MAC", .help = "give an identity-arc to the identity's QSPN" },
    { .name = "prepare_enter_net_phase_1", .min_args = 14, .max_args = 14, .fn = cmd_prepare_enter,
      .usage = "prepare_enter_net_phase_1 OLD_ID GUEST_LEVEL HOST_LEVEL HOST_ADDR HOST_ELDERSHIPS "
               "POS1 POS1_ELD POS2 POS2_ELD CONN_POS CONN_POS_ELD [ARC,...] OP_ID PREV_OP_ID|null",
      .help = "prepare the entry of an identity (and its g-node) into another network" },
    { .name = "enter_net_phase_1", .min_args = 2, .max_args = 2, .async_fn = cmd_enter_phase1,
      .usage = "enter_net_phase_1 OLD_ID OP_ID", .help = "enter; prints the new identity's index" },
    { .name = "enter_net_phase_2", .min_args = 2, .max_args = 2, .fn = cmd_enter_phase2,
      .usage = "enter_net_phase_2 OLD_ID OP_ID", .help = "take the real position (after PREV_OP_ID)" },
    { .name = "prepare_migrate_phase_1", .min_args = 13, .max_args = 13, .fn = cmd_prepare_migrate,
      .usage = "prepare_migrate_phase_1 OLD_ID GUEST_LEVEL HOST_LEVEL HOST_ADDR HOST_ELDERSHIPS "
               "POS1 POS1_ELD POS2 POS2_ELD CONN_POS CONN_POS_ELD OP_ID PREV_OP_ID|null",
      .help = "prepare a migration inside the network" },
    { .name = "migrate_phase_1", .min_args = 2, .max_args = 2, .async_fn = cmd_migrate_phase1,
      .usage = "migrate_phase_1 OLD_ID OP_ID", .help = "migrate; prints the new identity's index" },
    { .name = "migrate_phase_2", .min_args = 2, .max_args = 2, .fn = cmd_migrate_phase2,
      .usage = "migrate_phase_2 OLD_ID OP_ID", .help = "take the real position (after PREV_OP_ID)" },
    { .name = "show_qspn_data", .min_args = 1, .max_args = 2, .fn = qspnd_cmd_show_qspn_data,
      .usage = "show_qspn_data LOCAL_ID [--json]", .help = "QSPN arcs, destinations and paths of an identity" },
    { .name = "update_all_routes", .min_args = 1, .max_args = 1, .fn = cmd_update_all_routes,
      .usage = "update_all_routes LOCAL_ID", .help = "bring the identity's tables up to date now" },
    { .name = "check_connectivity", .min_args = 1, .max_args = 1, .fn = cmd_check_connectivity,
      .usage = "check_connectivity LOCAL_ID", .help = "can this connectivity identity be removed?" },
    { .name = "dismiss_identity", .min_args = 1, .max_args = 1, .fn = cmd_dismiss_identity,
      .usage = "dismiss_identity LOCAL_ID",
      .help = "remove a connectivity identity that check_connectivity says can be removed" },
    { .name = "print_time_ruler", .min_args = 1, .max_args = 1, .fn = cmd_print_time_ruler,
      .usage = "print_time_ruler ON|OFF", .help = "log the time every quarter second (debugging)" },
    { .name = "pin_operation", .min_args = 2, .max_args = 2 + 3 * QSPND_MAX_NICS, .fn = cmd_pin,
      .usage = "pin_operation OP_ID NAME [DEV MAC LINKLOCAL]...",
      .help = "testbeds: name of the identity namespace and pseudo-interfaces of an operation" },
    { .name = "help", .fn = cmd_help, .usage = "help", .help = "this list" },
};

static bool cmd_help(int argc, char **argv, GString *out, GString *err, void *user)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(out, "%s\n    %s\n", commands[i].usage, commands[i].help);
    return true;
}

const control_command *qspnd_command_table(size_t *n)
{
    *n = G_N_ELEMENTS(commands);
    return commands;
}
