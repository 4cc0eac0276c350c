/* keyfile.h - the pre-shared key of --key-file (docs/daemon.md). */
#ifndef QSPN_DAEMON_KEYFILE_H
#define QSPN_DAEMON_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nauth.h"

/* Read the key: the whole file, raw bytes, NAUTH_KEY_MIN .. NAUTH_KEY_MAX of
 * them.  Refused, with one line in err, when the file cannot be opened, is
 * not a regular file (symbolic links are not followed), is not owned by the
 * effective user, grants any permission to group or others (like ssh with a
 * private key: 0600 or 0400 only), or has a length out of bounds. */
bool qspnd_key_file_load(const char *path, nauth_key *out, char *err, size_t errlen);

/* What a file qspnd reads at start-up must be: a regular file (symbolic links
 * are not followed) owned by the effective user (or by root when
 * root_may_own), none of forbidden_mode set.  Errors read
 * "<what> PATH ...", a bad mode "<what> PATH has mode 0NNN: <mode_hint> PATH)". */
typedef struct {
    const char *what;          /* "key file", "configuration file" */
    unsigned forbidden_mode;   /* e.g. S_IRWXG | S_IRWXO */
    bool root_may_own;
    const char *mode_hint;
} qspnd_file_rules;

/* Open path read-only (O_NOFOLLOW, O_NONBLOCK) and check it against rules: the
 * descriptor, or -1 with one line in err. */
int qspnd_file_open_checked(const char *path, const qspnd_file_rules *rules, char *err, size_t errlen);
/* Read up to cap bytes (until end of file); -1 on a read error (errno). */
ssize_t qspnd_file_read_all(int fd, uint8_t *buf, size_t cap);

#endif
