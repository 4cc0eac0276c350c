/* log.h - qspnd's log: glib structured logging, one line per message,
 * "HH:MM:SS.mmm <level> <domain>: <message>", to stderr or --log-file. */
#ifndef QSPN_DAEMON_LOG_H
#define QSPN_DAEMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Install the writer; path NULL = stderr.  false (message in err) when the
 * file cannot be opened (append mode). */
bool qspnd_log_init(const char *path, bool verbose, char *err, size_t errlen);
/* Reopen the log file (SIGHUP, after a rotation).  false if it cannot be
 * reopened (then the old stream is kept). */
bool qspnd_log_reopen(void);
void qspnd_log_close(void);

/* Lines caused by what strangers send (a malformed message, a stream closed)
 * are rate-limited so that a flood cannot fill the disk: per call site at
 * most QSPND_LOG_BURST lines in each second; the first line allowed after a
 * suppression says how many were left out.  Pure: the caller gives the time. */
#define QSPND_LOG_BURST 5
typedef struct {
    int64_t window_us;                 /* start of the current one-second window */
    unsigned in_window;                /* lines allowed in it */
    uint64_t suppressed;               /* lines left out since the last allowed one */
} qspnd_ratelimit;

/* True when a line may be written now; *left_out is then the number of lines
 * suppressed since the last one allowed (to be mentioned), else 0. */
bool qspnd_ratelimit_allow(qspnd_ratelimit *rl, int64_t now_us, uint64_t *left_out);

#endif
