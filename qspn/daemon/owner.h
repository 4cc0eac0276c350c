/* owner.h - one live qspnd per network namespace and per control directory.
 *
 * Network namespace: an abstract unix socket, "@qspnd/owner", bound and
 * listening for the daemon's whole life.  Abstract names belong to the network
 * namespace, so a second bind there fails (EADDRINUSE) whatever its control
 * directory or mount namespace, and the kernel releases the name when the
 * owner dies, even by SIGKILL.  A loser learns the owner's PID by connecting
 * (SO_PEERCRED); the owner accepts and closes such connections.
 *
 * Control directory: flock(LOCK_EX) on <dir>/qspnd.lock (opened O_CREAT), held
 * for the whole life; the file holds the owner's PID.  At exit the owner
 * unlinks it while still holding the lock, so a locker checks that the path
 * still names the inode it locked (else it retries). */
#ifndef QSPN_DAEMON_OWNER_H
#define QSPN_DAEMON_OWNER_H

#include <stddef.h>

#define OWNER_ABSTRACT_NAME "qspnd/owner"

/* The namespace lock: a socket fd, or -1 with a message in err (another owner:
 * "another qspnd (pid N) runs in this network namespace"). */
int owner_netns_lock(char *err, size_t errlen);
/* Accept and close every pending connection of the namespace lock socket. */
void owner_netns_drain(int fd);

/* The control-directory lock (dir must exist): fd, or -1 with a message. */
int owner_dir_lock(const char *dir, char *err, size_t errlen);
/* Remove the lock file (still holding it) and release it. */
void owner_dir_unlock(int fd, const char *dir);

#endif
