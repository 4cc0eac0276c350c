/* keyfile.h - the pre-shared key of --key-file (docs/daemon.md). */
#ifndef QSPN_DAEMON_KEYFILE_H
#define QSPN_DAEMON_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "nauth.h"

/* Read the key: the whole file, raw bytes, NAUTH_KEY_MIN .. NAUTH_KEY_MAX of
 * them.  Refused, with one line in err, when the file cannot be opened, is
 * not a regular file (symbolic links are not followed), is not owned by the
 * effective user, grants any permission to group or others (like ssh with a
 * private key: 0600 or 0400 only), or has a length out of bounds. */
bool qspnd_key_file_load(const char *path, nauth_key *out, char *err, size_t errlen);

#endif
