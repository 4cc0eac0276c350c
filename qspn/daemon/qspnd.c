/* qspnd.c - main: wiring only.  Order (docs/daemon.md, "Start-up"):
 *   options (usage errors: exit 2, nothing touched), log, signals, namespace,
 *   ownership (network namespace, then control directory: another owner means
 *   exit 1, nothing touched), validation (interfaces), leftover sweep of a
 *   dead instance, state file, start-up (interruptible, rolled back), control
 *   FIFO (= ready), main loop, teardown. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "kernel.h"
#include "log.h"
#include "monitor.h"
#include "options.h"
#include "owner.h"
#include "plan.h"
#include "runtime.h"
#include "signals.h"
#include "state.h"
#include "system.h"

#define DOMAIN "qspnd"
#define LOG(level, ...) g_log_structured(DOMAIN, level, "MESSAGE", __VA_ARGS__)

static int enter_netns(const char *name)
{
    gchar *path = g_build_filename("/run/netns", name, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : setns(fd, CLONE_NEWNET);
    if (rc != 0)
        LOG(G_LOG_LEVEL_CRITICAL, "%s %s: %s", fd < 0 ? "open" : "setns", path, g_strerror(errno));
    else
        LOG(G_LOG_LEVEL_INFO, "entered network namespace %s", name);
    if (fd >= 0)
        close(fd);
    g_free(path);
    return rc;
}

/* Both locks, then the PID file.  false (logged) when another qspnd owns the
 * namespace or the directory: nothing has been touched. */
static bool take_ownership(qspnd *d)
{
    char err[512];
    const char *dir = d->opt.control_dir;
    d->netns_lock = owner_netns_lock(err, sizeof err);
    if (d->netns_lock < 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "%s", err);
        return false;
    }
    if (!control_dir_secure(dir, err, sizeof err)) {
        LOG(G_LOG_LEVEL_CRITICAL, "%s", err);
        return false;
    }
    d->dir_lock = owner_dir_lock(dir, err, sizeof err);
    if (d->dir_lock < 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "%s", err);
        return false;
    }
    d->state_path = g_build_filename(dir, CONTROL_STATE_FILE, NULL);
    gchar *pidfile = g_build_filename(dir, CONTROL_PID_FILE, NULL);
    gchar *pid = g_strdup_printf("%ld\n", (long)getpid());
    GError *ge = NULL;
    bool ok = g_file_set_contents_full(pidfile, pid, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &ge);
    if (!ok)
        LOG(G_LOG_LEVEL_CRITICAL, "control dir %s: %s", dir, ge ? ge->message : g_strerror(errno));
    g_clear_error(&ge);
    g_free(pid);
    g_free(pidfile);
    return ok;
}

/* Remove what a dead qspnd of this system left (its state file's records,
 * routes of protocol 15, the nft table).  false when interrupted by a signal
 * (the state file is kept for the next start). */
static bool sweep_leftovers(qspnd *d)
{
    guint bad = 0;
    GString *warn = g_string_new(NULL);
    GError *ge = NULL;
    char err[512];
    GArray *recs = state_file_read(d->state_path, &bad, warn, &ge);
    if (ge) {
        LOG(G_LOG_LEVEL_WARNING, "state file: %s (its records are not swept)", ge->message);
        g_error_free(ge);
    }
    if (recs)
        LOG(G_LOG_LEVEL_MESSAGE, "state file of a dead qspnd found (%u records, %u bad lines): "
            "removing its leftovers", recs->len, bad);
    gchar **lines = g_strsplit(warn->str, "\n", -1);
    for (gchar **l = lines; *l; l++)
        if (**l)
            LOG(G_LOG_LEVEL_WARNING, "%s", *l);
    g_strfreev(lines);
    g_string_free(warn, TRUE);
    GArray *sw = state_sweep_plan(recs, d->opt.netns);
    int rc = kernel_apply_cancellable(d->k, (const kop *)sw->data, sw->len, NULL, d->cancel, err,
                                      sizeof err);
    g_array_free(sw, TRUE);
    if (recs)
        g_array_free(recs, TRUE);
    if (rc == KERNEL_CANCELLED)
        return false;
    (void)unlink(d->state_path);
    return true;
}

static void log_show(const qspnd *d)
{
    gchar *s = qspnd_show_text(d);
    gchar **lines = g_strsplit(s, "\n", -1);
    for (gchar **l = lines; *l; l++)
        if (**l)
            LOG(G_LOG_LEVEL_MESSAGE, "SIGUSR1: show: %s", *l);
    g_strfreev(lines);
    g_free(s);
}

static void log_counters(const qspnd *d)
{
    control_stats st;
    memset(&st, 0, sizeof st);
    if (d->srv)
        control_server_get_stats(d->srv, &st);
    LOG(G_LOG_LEVEL_MESSAGE,
        "SIGUSR2: control: requests %" G_GUINT64_FORMAT " ok %" G_GUINT64_FORMAT
        " errors %" G_GUINT64_FORMAT " malformed %" G_GUINT64_FORMAT " client_gone %"
        G_GUINT64_FORMAT " queue_full %" G_GUINT64_FORMAT " replies_dropped %" G_GUINT64_FORMAT
        " streams %" G_GUINT64_FORMAT " streams_dropped %" G_GUINT64_FORMAT " monitors %zu",
        st.requests, st.ok, st.errors, st.malformed, st.client_gone, st.queue_full,
        st.replies_dropped, st.streams, st.streams_dropped, qmon_subscribers(d->mon));
}

static gboolean on_signal(gint fd, GIOCondition cond, gpointer data)
{
    qspnd *d = data;
    unsigned bits = qspnd_signals_take();
    if (bits & QSIG_HUP) {
        if (qspnd_log_reopen())
            LOG(G_LOG_LEVEL_MESSAGE, "SIGHUP: log file reopened");
        else
            LOG(G_LOG_LEVEL_WARNING, "SIGHUP: cannot reopen the log file; keeping the old one");
    }
    if (bits & QSIG_USR1)
        log_show(d);
    if (bits & QSIG_USR2)
        log_counters(d);
    if (!(bits & QSIG_STOP))
        return G_SOURCE_CONTINUE;
    LOG(G_LOG_LEVEL_MESSAGE, "signal received: tearing down");
    control_server_stop(d->srv);
    d->exit_code = qspnd_teardown(d) == 0 ? 0 : 1;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_owner_socket(gint fd, GIOCondition cond, gpointer data)
{
    owner_netns_drain(fd);
    return G_SOURCE_CONTINUE;
}

/* Start-up proper: 0 running, 1 failure, 2 stopped by a signal (exit 0). */
static int start(qspnd *d)
{
    char err[512];
    GError *ge = NULL;
    d->startup = plan_startup(&d->opt.cfg);
    d->state = state_records_from_plan((const kop *)d->startup->data, d->startup->len);
    if (!state_file_write(d->state_path, d->state, &ge)) {
        LOG(G_LOG_LEVEL_CRITICAL, "state file: %s", ge->message);
        g_error_free(ge);
        return 1;
    }
    int rc = qspnd_start(d, err, sizeof err);
    if (rc != 0) {
        (void)unlink(d->state_path);
        if (rc == KERNEL_CANCELLED) {
            LOG(G_LOG_LEVEL_MESSAGE, "start-up interrupted by a signal; rolled back");
            return 2;
        }
        LOG(G_LOG_LEVEL_CRITICAL, "start-up failed: %s", err);
        return 1;
    }
    if (qspnd_run_system(d, false, err, sizeof err) != 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "start-up failed: %s", err);
        if (qspnd_teardown(d) == 0)
            (void)unlink(d->state_path);
        return 1;
    }
    d->sys->kernel_in = kernel_netlink_new_in;
    d->nodeid = idm_main(d->sys->idm)->nodeid;
    /* qspnctl monitor: every later kernel operation, model change and path change */
    d->mon = qmon_new();
    qmon_attach(d->mon, d->sys);
    d->sys->mon = d->mon;
    kernel_set_observer(d->k, qmon_kernel_observer, d->mon);
    size_t ncmd = 0;
    const control_command *tab = qspnd_command_table(&ncmd);
    d->srv = control_server_new(d->opt.control_dir, tab, ncmd, d, &ge);
    if (!d->srv) {
        LOG(G_LOG_LEVEL_CRITICAL, "control: %s", ge->message);
        g_error_free(ge);
        if (qspnd_teardown(d) == 0)
            (void)unlink(d->state_path);
        return 1;
    }
    return 0;
}

static int run(qspnd *d)
{
    char err[512];
    if (d->opt.netns && enter_netns(d->opt.netns) != 0)
        return 1;
    if (!take_ownership(d))
        return 1;
    d->k = kernel_netlink_new(d->opt.rt_tables, err, sizeof err);
    if (!d->k) {
        LOG(G_LOG_LEVEL_CRITICAL, "kernel: %s", err);
        return 1;
    }
    /* validation: a start that cannot proceed touches nothing in the kernel */
    if (!qspnd_read_macs(d, err, sizeof err)) {
        LOG(G_LOG_LEVEL_CRITICAL, "%s", err);
        return 1;
    }
    if (!sweep_leftovers(d) || qspnd_stop_requested) {
        LOG(G_LOG_LEVEL_MESSAGE, "stopped by a signal before start-up");
        return 0;
    }
    int rc = start(d);
    if (rc != 0)
        return rc == 2 ? 0 : 1;
    for (size_t i = 0; i < d->opt.cfg.n_nics; i++) {
        char ip[NTK_STRLEN];
        ntk_ip_format(d->opt.cfg.nics[i].linklocal, ip, sizeof ip);
        LOG(G_LOG_LEVEL_INFO, "handlednics: #%zu: %s = %s (has %s).", i, d->opt.cfg.nics[i].dev,
            d->opt.cfg.nics[i].mac, ip);
    }
    LOG(G_LOG_LEVEL_MESSAGE, "started (%u kernel operations); control directory %s",
        d->startup->len, d->opt.control_dir);
    d->loop = g_main_loop_new(NULL, FALSE);
    guint sig_src = g_unix_fd_add(qspnd_signals_fd(), G_IO_IN, on_signal, d);
    guint own_src = g_unix_fd_add(d->netns_lock, G_IO_IN, on_owner_socket, NULL);
    g_main_loop_run(d->loop);
    g_source_remove(own_src);
    if (g_main_context_find_source_by_id(NULL, sig_src))
        g_source_remove(sig_src);
    if (d->started)
        d->exit_code = qspnd_teardown(d) == 0 ? 0 : 1;
    if (d->exit_code == 0)
        (void)unlink(d->state_path);     /* kept after a failed teardown: the next start sweeps */
    LOG(G_LOG_LEVEL_MESSAGE, "Exiting.");
    return d->exit_code;
}

static void cleanup(qspnd *d)
{
    if (d->srv)
        control_server_free(d->srv);       /* ends the monitors' streams */
    if (d->k)
        kernel_set_observer(d->k, NULL, NULL);
    if (d->sys)
        d->sys->mon = NULL;
    qspnd_free_system(d);
    qmon_free(d->mon);
    if (d->loop)
        g_main_loop_unref(d->loop);
    if (d->startup)
        g_array_free(d->startup, TRUE);
    if (d->state)
        g_array_free(d->state, TRUE);
    kernel_free(d->k);
    if (d->dir_lock >= 0) {
        gchar *pidfile = g_build_filename(d->opt.control_dir, CONTROL_PID_FILE, NULL);
        (void)unlink(pidfile);
        g_free(pidfile);
        owner_dir_unlock(d->dir_lock, d->opt.control_dir);
    }
    if (d->netns_lock >= 0)
        close(d->netns_lock);
    g_free(d->state_path);
    qspnd_options_clear(&d->opt);
}

int main(int argc, char **argv)
{
    qspnd d;
    char err[512];

    memset(&d, 0, sizeof d);
    d.netns_lock = d.dir_lock = -1;
    if (qspnd_options_parse(argc, argv, &d.opt, err, sizeof err) != 0) {
        fprintf(stderr, "qspnd: %s (see --help)\n", err);
        return 2;
    }
    if (!qspnd_log_init(d.opt.log_file, d.opt.verbose, err, sizeof err)) {
        fprintf(stderr, "qspnd: %s\n", err);
        qspnd_options_clear(&d.opt);
        return 1;
    }
    kernel_set_debug_log(d.opt.verbose);   /* the writer drops debug lines otherwise */
    int ret = 1;
    if (qspnd_signals_install() != 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "cannot install signal handlers: %s", g_strerror(errno));
    } else {
        d.cancel = &qspnd_stop_requested;
        ret = run(&d);
    }
    cleanup(&d);
    qspnd_signals_uninstall();
    qspnd_log_close();
    return ret;
}
