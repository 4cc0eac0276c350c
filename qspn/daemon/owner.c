/* owner.c - ownership locks of qspnd (see owner.h). */
#define _GNU_SOURCE
#include "owner.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

static socklen_t abstract_addr(struct sockaddr_un *a)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    /* sun_path[0] = '\0': the abstract namespace (per network namespace) */
    memcpy(a->sun_path + 1, OWNER_ABSTRACT_NAME, strlen(OWNER_ABSTRACT_NAME));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(OWNER_ABSTRACT_NAME));
}

/* PID of the process listening on the abstract name, 0 if unknown. */
static long owner_pid(void)
{
    struct sockaddr_un a;
    socklen_t al = abstract_addr(&a);
    struct ucred cr = { 0 };
    socklen_t cl = sizeof cr;
    long pid = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&a, al) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
        pid = cr.pid;
    close(fd);
    return pid;
}

int owner_netns_lock(char *err, size_t errlen)
{
    struct sockaddr_un a;
    socklen_t al = abstract_addr(&a);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", g_strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&a, al) == 0 && listen(fd, 16) == 0)
        return fd;
    int e = errno;
    close(fd);
    if (e != EADDRINUSE) {
        snprintf(err, errlen, "network namespace lock: %s", g_strerror(e));
        return -1;
    }
    long pid = owner_pid();
    if (pid > 0)
        snprintf(err, errlen, "another qspnd (pid %ld) runs in this network namespace", pid);
    else
        snprintf(err, errlen, "another qspnd runs in this network namespace");
    return -1;
}

void owner_netns_drain(int fd)
{
    int c;
    while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 || errno == EINTR)
        if (c >= 0)
            close(c);
}

static long read_pid(int fd)
{
    char buf[32];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    gint64 v = g_ascii_strtoll(buf, NULL, 10);
    return v > 0 && v < G_MAXINT32 ? (long)v : 0;
}

int owner_dir_lock(const char *dir, char *err, size_t errlen)
{
    gchar *path = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    int ret = -1;
    if (errlen)
        err[0] = '\0';
    for (int attempt = 0; attempt < 16 && ret < 0; attempt++) {
        struct stat fs, ps;
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", path, g_strerror(errno));
            break;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            long pid = errno == EWOULDBLOCK ? read_pid(fd) : 0;
            if (errno != EWOULDBLOCK)
                snprintf(err, errlen, "flock %s: %s", path, g_strerror(errno));
            else if (pid > 0)
                snprintf(err, errlen, "another qspnd (pid %ld) owns %s", pid, dir);
            else
                snprintf(err, errlen, "another qspnd owns %s", dir);
            close(fd);
            break;
        }
        /* the previous owner may have unlinked the file between our open and flock */
        if (fstat(fd, &fs) != 0 || stat(path, &ps) != 0 || fs.st_ino != ps.st_ino ||
            fs.st_dev != ps.st_dev) {
            close(fd);
            continue;
        }
        char pid[32];
        int l = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)l, 0) != l) {
            snprintf(err, errlen, "%s: %s", path, g_strerror(errno));
            close(fd);
            break;
        }
        ret = fd;
    }
    if (ret < 0 && !err[0])
        snprintf(err, errlen, "cannot lock %s", path);
    g_free(path);
    return ret;
}

void owner_dir_unlock(int fd, const char *dir)
{
    if (fd < 0)
        return;
    gchar *path = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    (void)unlink(path);
    g_free(path);
    close(fd);
}
