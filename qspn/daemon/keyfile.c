/* keyfile.c - load and check the pre-shared key file; the checks of the files
 * qspnd reads at start-up (key file, configuration file). */
#define _GNU_SOURCE
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file's type, owner and mode (docs/daemon.md): the key file because anyone
 * else who can read it can forge messages, the configuration file because
 * anyone else who can write it runs qspnd with other options. */
static bool check_file(int fd, const qspnd_file_rules *rules, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s %.200s: %s", rules->what, path, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %.200s is not a regular file", rules->what, path);
        return false;
    }
    if (st.st_uid != geteuid() && !(rules->root_may_own && st.st_uid == 0)) {
        snprintf(err, errlen, "%s %.200s is owned by uid %u, not by the user qspnd runs as (uid %u)%s",
                 rules->what, path, (unsigned)st.st_uid, (unsigned)geteuid(),
                 rules->root_may_own ? " or by root" : "");
        return false;
    }
    if (st.st_mode & rules->forbidden_mode) {
        snprintf(err, errlen, "%s %.200s has mode %04o: %s %.200s)", rules->what, path,
                 (unsigned)(st.st_mode & 07777), rules->mode_hint, path);
        return false;
    }
    return true;
}

int qspnd_file_open_checked(const char *path, const qspnd_file_rules *rules, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO put in its place must not hang the start-up */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s %.200s: %s", rules->what, path, g_strerror(errno));
        return -1;
    }
    if (!check_file(fd, rules, path, err, errlen)) {
        close(fd);
        return -1;
    }
    return fd;
}

ssize_t qspnd_file_read_all(int fd, uint8_t *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

bool qspnd_key_file_load(const char *path, nauth_key *out, char *err, size_t errlen)
{
    static const qspnd_file_rules rules = {
        "key file", S_IRWXG | S_IRWXO, false,
        "group and others must have no access (0600 or 0400: chmod 600" };
    int fd = qspnd_file_open_checked(path, &rules, err, errlen);
    if (fd < 0)
        return false;
    uint8_t buf[NAUTH_KEY_MAX + 1];   /* one more tells "too long" */
    bool ok = true;
    ssize_t n = qspnd_file_read_all(fd, buf, sizeof buf);
    if (n < 0) {
        snprintf(err, errlen, "key file %.200s: %s", path, g_strerror(errno));
        ok = false;
    } else if (n < NAUTH_KEY_MIN || n > NAUTH_KEY_MAX) {
        snprintf(err, errlen, "key file %.200s has %s%zd bytes: the key must have %d..%d bytes", path,
                 n > NAUTH_KEY_MAX ? "more than " : "", n > NAUTH_KEY_MAX ? (ssize_t)NAUTH_KEY_MAX : n,
                 NAUTH_KEY_MIN, NAUTH_KEY_MAX);
        ok = false;
    } else {
        ok = nauth_key_set(out, buf, (size_t)n);
    }
    explicit_bzero(buf, sizeof buf);
    close(fd);
    return ok;
}
