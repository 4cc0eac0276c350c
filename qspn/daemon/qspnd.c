/* qspnd.c - main: wiring only (options, namespace, leftovers, start-up,
 * control FIFOs, signals, teardown).  See docs/daemon.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "kernel.h"
#include "options.h"
#include "plan.h"
#include "runtime.h"

#define DOMAIN "qspnd"
#define STATE_FILE "qspnd.state"

static FILE *log_out;
static bool log_verbose;

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                   gpointer user)
{
    const char *msg = "", *domain = "qspnd";
    const char *lv;
    if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
        return G_LOG_WRITER_HANDLED;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
            msg = fields[i].value;
        else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            domain = fields[i].value;
    }
    if (level & G_LOG_LEVEL_ERROR)
        lv = "error";
    else if (level & G_LOG_LEVEL_CRITICAL)
        lv = "critical";
    else if (level & G_LOG_LEVEL_WARNING)
        lv = "warning";
    else if (level & G_LOG_LEVEL_MESSAGE)
        lv = "message";
    else if (level & G_LOG_LEVEL_INFO)
        lv = "info";
    else
        lv = "debug";
    GDateTime *now = g_date_time_new_now_utc();
    gchar *ts = g_date_time_format(now, "%H:%M:%S");
    fprintf(log_out ? log_out : stderr, "%s.%03d %s %s: %s\n", ts,
            g_date_time_get_microsecond(now) / 1000, lv, domain, msg);
    fflush(log_out ? log_out : stderr);
    g_free(ts);
    g_date_time_unref(now);
    return G_LOG_WRITER_HANDLED;
}

#define LOG(level, ...) g_log_structured(DOMAIN, level, "MESSAGE", __VA_ARGS__)

static int enter_netns(const char *name)
{
    gchar *path = g_build_filename("/run/netns", name, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "open %s: %s", path, g_strerror(errno));
        g_free(path);
        return -1;
    }
    int rc = setns(fd, CLONE_NEWNET);
    int e = errno;
    close(fd);
    if (rc != 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "setns %s: %s", path, g_strerror(e));
        g_free(path);
        return -1;
    }
    LOG(G_LOG_LEVEL_INFO, "entered network namespace %s", name);
    g_free(path);
    return 0;
}

/* Another live qspnd owns the control directory? */
static bool other_daemon_alive(const char *pidfile, long *pid_out)
{
    gchar *text = NULL;
    if (!g_file_get_contents(pidfile, &text, NULL, NULL))
        return false;
    char *end = NULL;
    long pid = strtol(text, &end, 10);
    g_free(text);
    if (pid <= 0 || pid == (long)getpid())
        return false;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return false;
    gchar *comm_path = g_strdup_printf("/proc/%ld/comm", pid);
    gchar *comm = NULL;
    bool alive = false;
    if (g_file_get_contents(comm_path, &comm, NULL, NULL))
        alive = g_str_has_prefix(comm, "qspnd");
    g_free(comm);
    g_free(comm_path);
    *pid_out = pid;
    return alive;
}

static gboolean on_signal(gpointer data)
{
    qspnd *d = data;
    LOG(G_LOG_LEVEL_MESSAGE, "signal received: tearing down");
    if (d->srv)
        control_server_stop(d->srv);
    d->exit_code = qspnd_teardown(d) == 0 ? 0 : 1;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

static bool write_file(const char *path, const char *text)
{
    GError *ge = NULL;
    if (!g_file_set_contents(path, text, -1, &ge)) {
        LOG(G_LOG_LEVEL_CRITICAL, "%s", ge->message);
        g_error_free(ge);
        return false;
    }
    (void)chmod(path, 0600);
    return true;
}

int main(int argc, char **argv)
{
    qspnd d;
    char err[512];
    gchar *pidfile = NULL, *statefile = NULL, *lockfile = NULL;
    int ret = 1;

    memset(&d, 0, sizeof d);
    d.exit_code = 0;
    if (qspnd_options_parse(argc, argv, &d.opt, err, sizeof err) != 0) {
        fprintf(stderr, "qspnd: %s (see --help)\n", err);
        return 2;
    }
    log_verbose = d.opt.verbose;
    if (d.opt.log_file) {
        log_out = fopen(d.opt.log_file, "ae");
        if (!log_out) {
            fprintf(stderr, "qspnd: cannot open log file %s: %s\n", d.opt.log_file, g_strerror(errno));
            qspnd_options_clear(&d.opt);
            return 1;
        }
    }
    g_log_set_writer_func(log_writer, NULL, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* 1. the namespace, before anything else */
    if (d.opt.netns && enter_netns(d.opt.netns) != 0)
        goto out;

    /* 2. the control directory and its owner */
    if (g_mkdir_with_parents(d.opt.control_dir, 0700) != 0 || chmod(d.opt.control_dir, 0700) != 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "control dir %s: %s", d.opt.control_dir, g_strerror(errno));
        goto out;
    }
    pidfile = g_build_filename(d.opt.control_dir, CONTROL_PID_FILE, NULL);
    statefile = g_build_filename(d.opt.control_dir, STATE_FILE, NULL);
    lockfile = g_build_filename(d.opt.control_dir, CONTROL_LOCK_FILE, NULL);
    long other = 0;
    if (other_daemon_alive(pidfile, &other)) {
        LOG(G_LOG_LEVEL_CRITICAL, "another qspnd (pid %ld) owns %s", other, d.opt.control_dir);
        g_free(pidfile);
        g_free(statefile);
        g_free(lockfile);
        pidfile = statefile = lockfile = NULL;   /* not ours: leave them */
        goto out;
    }
    {
        gchar *stale = g_build_filename(d.opt.control_dir, CONTROL_CMD_FIFO, NULL);
        (void)unlink(stale);   /* no FIFO before start-up is complete */
        g_free(stale);
    }
    gchar *pidtext = g_strdup_printf("%ld\n", (long)getpid());
    bool okpid = write_file(pidfile, pidtext);
    g_free(pidtext);
    if (!okpid)
        goto out;

    /* SIGTERM/SIGINT during start-up are handled as soon as the loop runs
     * (right after start-up): a full teardown, never a half-programmed kernel */
    d.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, &d);
    g_unix_signal_add(SIGINT, on_signal, &d);

    d.k = kernel_netlink_new(d.opt.rt_tables, err, sizeof err);
    if (!d.k) {
        LOG(G_LOG_LEVEL_CRITICAL, "kernel: %s", err);
        goto out;
    }

    /* 3. leftovers of a previous qspnd killed with SIGKILL */
    {
        gchar *state = NULL;
        bool had_state = g_file_get_contents(statefile, &state, NULL, NULL);
        if (had_state)
            LOG(G_LOG_LEVEL_MESSAGE, "state file of a previous run found: removing its leftovers");
        GArray *sw = plan_sweep(state);
        (void)kernel_apply(d.k, (const kop *)sw->data, sw->len, NULL, err, sizeof err);
        g_array_free(sw, TRUE);
        g_free(state);
        (void)unlink(statefile);
    }

    /* 4. start-up */
    if (!qspnd_read_macs(&d, err, sizeof err)) {
        LOG(G_LOG_LEVEL_CRITICAL, "%s", err);
        goto out;
    }
    d.startup = plan_startup(&d.opt.cfg);
    {
        gchar *st = plan_state_text(d.startup);
        bool ok = write_file(statefile, st);
        g_free(st);
        if (!ok)
            goto out;
    }
    if (qspnd_start(&d, err, sizeof err) != 0) {
        LOG(G_LOG_LEVEL_CRITICAL, "start-up failed: %s", err);
        (void)unlink(statefile);
        goto out;
    }
    d.nodeid = (guint32)g_random_int_range(1, G_MAXINT32);

    /* 5. control FIFOs: they appear only now ("started") */
    size_t ncmd = 0;
    const control_command *tab = qspnd_command_table(&ncmd);
    GError *ge = NULL;
    d.srv = control_server_new(d.opt.control_dir, tab, ncmd, &d, &ge);
    if (!d.srv) {
        LOG(G_LOG_LEVEL_CRITICAL, "control: %s", ge->message);
        g_error_free(ge);
        qspnd_teardown(&d);
        (void)unlink(statefile);
        goto out;
    }
    for (size_t i = 0; i < d.opt.cfg.n_nics; i++) {
        char ip[NTK_STRLEN];
        ntk_ip_format(d.opt.cfg.nics[i].linklocal, ip, sizeof ip);
        LOG(G_LOG_LEVEL_INFO, "handlednics: #%zu: %s = %s (has %s).", i, d.opt.cfg.nics[i].dev,
            d.opt.cfg.nics[i].mac, ip);
    }
    LOG(G_LOG_LEVEL_MESSAGE, "started (%u kernel operations); control directory %s",
        d.startup->len, d.opt.control_dir);
    g_main_loop_run(d.loop);

    if (d.started)
        d.exit_code = qspnd_teardown(&d) == 0 ? 0 : 1;
    (void)unlink(statefile);
    ret = d.exit_code;
    LOG(G_LOG_LEVEL_MESSAGE, "Exiting.");
out:
    if (d.srv)
        control_server_free(d.srv);
    if (d.loop)
        g_main_loop_unref(d.loop);
    if (d.startup)
        g_array_free(d.startup, TRUE);
    kernel_free(d.k);
    if (pidfile)
        (void)unlink(pidfile);
    if (lockfile)
        (void)unlink(lockfile);
    g_free(pidfile);
    g_free(statefile);
    g_free(lockfile);
    qspnd_options_clear(&d.opt);
    if (log_out)
        fclose(log_out);
    return ret;
}
