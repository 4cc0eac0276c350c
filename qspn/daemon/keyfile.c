/* keyfile.c - load and check the pre-shared key file. */
#define _GNU_SOURCE
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file's mode and owner: anyone else who can read it can forge messages. */
static bool check_file(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "key file %.200s: %s", path, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "key file %.200s is not a regular file", path);
        return false;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "key file %.200s is owned by uid %u, not by the user qspnd runs as (uid %u)",
                 path, (unsigned)st.st_uid, (unsigned)geteuid());
        return false;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "key file %.200s has mode %04o: group and others must have no access "
                 "(0600 or 0400: chmod 600 %.200s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        return false;
    }
    return true;
}

/* Up to NAUTH_KEY_MAX + 1 bytes (one more tells "too long"); -1 on a read error. */
static ssize_t read_all(int fd, uint8_t *buf, size_t cap)
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
    /* O_NONBLOCK: a FIFO put in its place must not hang the start-up */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "key file %.200s: %s", path, g_strerror(errno));
        return false;
    }
    uint8_t buf[NAUTH_KEY_MAX + 1];
    bool ok = check_file(fd, path, err, errlen);
    ssize_t n = ok ? read_all(fd, buf, sizeof buf) : 0;
    if (ok && n < 0) {
        snprintf(err, errlen, "key file %.200s: %s", path, g_strerror(errno));
        ok = false;
    } else if (ok && (n < NAUTH_KEY_MIN || n > NAUTH_KEY_MAX)) {
        snprintf(err, errlen, "key file %.200s has %s%zd bytes: the key must have %d..%d bytes", path,
                 n > NAUTH_KEY_MAX ? "more than " : "", n > NAUTH_KEY_MAX ? (ssize_t)NAUTH_KEY_MAX : n,
                 NAUTH_KEY_MIN, NAUTH_KEY_MAX);
        ok = false;
    } else if (ok) {
        ok = nauth_key_set(out, buf, (size_t)n);
    }
    explicit_bzero(buf, sizeof buf);
    close(fd);
    return ok;
}
