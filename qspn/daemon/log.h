/* log.h - qspnd's log: glib structured logging, one line per message,
 * "HH:MM:SS.mmm <level> <domain>: <message>", to stderr or --log-file. */
#ifndef QSPN_DAEMON_LOG_H
#define QSPN_DAEMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Install the writer; path NULL = stderr.  false (message in err) when the
 * file cannot be opened (append mode). */
bool qspnd_log_init(const char *path, bool verbose, char *err, size_t errlen);
/* Reopen the log file (SIGHUP, after a rotation).  false if it cannot be
 * reopened (then the old stream is kept). */
bool qspnd_log_reopen(void);
void qspnd_log_close(void);

#endif
