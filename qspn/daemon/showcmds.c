/* showcmds.c - the original show_* commands (print-outs in printouts.c) and
 * their --json (show_json.c): `show_X [--json]`, `show_X LOCAL_ID [--json]`. */
#include "commands.h"

#include <string.h>

#include "show.h"

static qsys *sys_of(void *user)
{
    return ((qspnd *)user)->sys;
}

bool qspnd_show_args(int argc, char **argv, const char *usage, int want, const char **pos, bool *json,
                     GString *err)
{
    int n = 0;
    *json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && !*json) {
            *json = true;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            g_string_append_printf(err, "unknown option '%.32s' for %s (usage: %s)", argv[i], argv[0], usage);
            return false;
        } else if (n < want) {
            pos[n++] = argv[i];
        } else {
            n = want + 1;
            break;
        }
    }
    if (n != want) {
        g_string_append_printf(err, "wrong number of arguments for %s (usage: %s)", argv[0], usage);
        return false;
    }
    return true;
}

static void put_json(GString *out, char *doc)
{
    g_string_append(out, doc);
    g_string_append_c(out, '\n');
    g_free(doc);
}

/* The identity of a `show_* LOCAL_ID [--json]` command, NULL after an error. */
static qid *show_identity(qsys *s, int argc, char **argv, const char *usage, bool *json, GString *err)
{
    const char *pos[1];
    if (!qspnd_show_args(argc, argv, usage, 1, pos, json, err))
        return NULL;
    return qspnd_identity_arg(s, pos[0], err);
}

bool qspnd_cmd_show_local_identities(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    bool json;
    if (!qspnd_show_args(argc, argv, "show_local_identities [--json]", 0, NULL, &json, err))
        return false;
    if (json) {
        put_json(out, qsys_json_local_identities(s));
        return true;
    }
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        idm_identity *id = idm_identity_at(s->idm, i);
        if (id->user)
            print_local_identity(s, id->user, out);
    }
    return true;
}

bool qspnd_cmd_show_identity_arcs(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    bool json;
    qid *q = show_identity(s, argc, argv, "show_identity_arcs LOCAL_ID [--json]", &json, err);
    if (!q)
        return false;
    if (json) {
        put_json(out, qsys_json_identity_arcs(s, q));
        return true;
    }
    for (guint i = 0; i < q->ident->arcs->len; i++)
        print_identity_arc(s, g_ptr_array_index(q->ident->arcs, i), out);
    return true;
}

bool qspnd_cmd_show_neighborhood_arcs(int argc, char **argv, GString *out, GString *err, void *user)
{
    bool json;
    if (!qspnd_show_args(argc, argv, "show_neighborhood_arcs [--json]", 0, NULL, &json, err))
        return false;
    if (json)
        put_json(out, qsys_json_neighborhood_arcs(sys_of(user)));
    else
        print_neighborhood_arcs(sys_of(user), out);
    return true;
}

bool qspnd_cmd_show_real_arcs(int argc, char **argv, GString *out, GString *err, void *user)
{
    bool json;
    if (!qspnd_show_args(argc, argv, "show_real_arcs [--json]", 0, NULL, &json, err))
        return false;
    if (json)
        put_json(out, qsys_json_real_arcs(sys_of(user)));
    else
        print_real_arcs(sys_of(user), out);
    return true;
}

bool qspnd_cmd_show_qspn_data(int argc, char **argv, GString *out, GString *err, void *user)
{
    qsys *s = sys_of(user);
    bool json;
    qid *q = show_identity(s, argc, argv, "show_qspn_data LOCAL_ID [--json]", &json, err);
    if (!q)
        return false;
    if (json)
        put_json(out, qsys_json_qspn_data(s, q));
    else
        print_qspn_data(s, q, out);
    return true;
}
