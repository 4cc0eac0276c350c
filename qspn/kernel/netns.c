/* netns.c - named network namespaces as iproute2 makes them: a file under
 * /run/netns bind-mounted on the namespace, /run/netns itself a shared mount
 * so that the name is visible to every mount namespace that shares it
 * (ip/ipnetns.c netns_add).  qspnd runs in the host's mount namespace, so the
 * harness and the operator see these names with `ip netns`. */
#define _GNU_SOURCE
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"

static bool name_ok(const char *name)
{
    return name && name[0] && strlen(name) < KOP_NAMELEN && !strchr(name, '/') &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* /run/netns exists and is a shared mount point (as ip netns add leaves it). */
static int prepare_run_dir(char *err, size_t errlen)
{
    if (mkdir(NETNS_RUN_DIR, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "mkdir %s: %s", NETNS_RUN_DIR, g_strerror(errno));
        return -1;
    }
    if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
        return 0;
    if (errno != EINVAL) {
        snprintf(err, errlen, "mount --make-shared %s: %s", NETNS_RUN_DIR, g_strerror(errno));
        return -1;
    }
    if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) != 0 ||
        mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) != 0) {
        snprintf(err, errlen, "mount --bind %s: %s", NETNS_RUN_DIR, g_strerror(errno));
        return -1;
    }
    return 0;
}

int kernel_netns_create(const char *name, char *err, size_t errlen)
{
    if (!name_ok(name)) {
        snprintf(err, errlen, "bad namespace name '%s'", name ? name : "");
        return -1;
    }
    if (prepare_run_dir(err, errlen) != 0)
        return -1;
    gchar *path = g_build_filename(NETNS_RUN_DIR, name, NULL);
    int ret = -1;
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (home < 0 || fd < 0) {
        snprintf(err, errlen, "create %s: %s", path, g_strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (unshare(CLONE_NEWNET) != 0) {
        snprintf(err, errlen, "unshare(CLONE_NEWNET): %s", g_strerror(errno));
        unlink(path);
        goto out;
    }
    if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) != 0) {
        snprintf(err, errlen, "bind mount %s: %s", path, g_strerror(errno));
        (void)setns(home, CLONE_NEWNET);
        unlink(path);
        goto out;
    }
    if (setns(home, CLONE_NEWNET) != 0) {
        /* cannot happen with CAP_SYS_ADMIN; nothing sensible is left to do */
        snprintf(err, errlen, "setns back: %s", g_strerror(errno));
        goto out;
    }
    ret = 0;
out:
    if (home >= 0)
        close(home);
    g_free(path);
    return ret;
}

int kernel_netns_delete(const char *name, char *err, size_t errlen)
{
    if (!name_ok(name)) {
        snprintf(err, errlen, "bad namespace name '%s'", name ? name : "");
        return -1;
    }
    gchar *path = g_build_filename(NETNS_RUN_DIR, name, NULL);
    int ret = 0;
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        snprintf(err, errlen, "umount %s: %s", path, g_strerror(errno));
        ret = -1;
    }
    if (unlink(path) != 0) {
        if (ret == 0)
            snprintf(err, errlen, "unlink %s: %s", path, g_strerror(errno));
        ret = -1;
    }
    g_free(path);
    return ret;
}

int kernel_netns_run(const char *name, int (*fn)(void *ctx, char *err, size_t errlen), void *ctx,
                     char *err, size_t errlen)
{
    if (!name_ok(name)) {
        snprintf(err, errlen, "bad namespace name '%s'", name ? name : "");
        return -1;
    }
    gchar *path = g_build_filename(NETNS_RUN_DIR, name, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int ret = -1;
    if (fd < 0 || home < 0) {
        snprintf(err, errlen, "open %s: %s", path, g_strerror(errno));
        goto out;
    }
    if (setns(fd, CLONE_NEWNET) != 0) {
        snprintf(err, errlen, "setns %s: %s", path, g_strerror(errno));
        goto out;
    }
    ret = fn(ctx, err, errlen);
    if (setns(home, CLONE_NEWNET) != 0) {
        snprintf(err, errlen, "setns back: %s", g_strerror(errno));
        ret = -1;
    }
out:
    if (fd >= 0)
        close(fd);
    if (home >= 0)
        close(home);
    g_free(path);
    return ret;
}
