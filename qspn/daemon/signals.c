/* signals.c - flags and a self-pipe (see signals.h). */
#define _GNU_SOURCE
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t qspnd_stop_requested;
static int pipefd[2] = { -1, -1 };
static const int handled[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (sig == SIGTERM || sig == SIGINT)
        qspnd_stop_requested = 1;
    if (pipefd[1] >= 0 && write(pipefd[1], &b, 1) < 0) {
        /* pipe full: the flags above, and the bytes already queued, suffice */
    }
    errno = saved;
}

int qspnd_signals_install(void)
{
    struct sigaction sa;
    if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        if (sigaction(handled[i], &sa, NULL) != 0)
            return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

int qspnd_signals_fd(void)
{
    return pipefd[0];
}

unsigned qspnd_signals_take(void)
{
    unsigned char buf[64];
    unsigned bits = 0;
    ssize_t r;
    while ((r = read(pipefd[0], buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)) {
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] == SIGTERM || buf[i] == SIGINT)
                bits |= QSIG_STOP;
            else if (buf[i] == SIGHUP)
                bits |= QSIG_HUP;
            else if (buf[i] == SIGUSR1)
                bits |= QSIG_USR1;
            else if (buf[i] == SIGUSR2)
                bits |= QSIG_USR2;
        }
    }
    if (qspnd_stop_requested)
        bits |= QSIG_STOP;
    return bits;
}

void qspnd_signals_uninstall(void)
{
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        signal(handled[i], SIG_IGN);     /* exiting: nothing left to do */
    for (int i = 0; i < 2; i++)
        if (pipefd[i] >= 0) {
            close(pipefd[i]);
            pipefd[i] = -1;
        }
}
