/* plan.h - qspnd's kernel plans as pure functions: the ordered list of kernel
 * operations (kops) of start-up, teardown and rollback,
 * computed from the configuration alone (unit-tested against the documents
 * with the recording kernel fake). */
#ifndef QSPN_DAEMON_PLAN_H
#define QSPN_DAEMON_PLAN_H

#include <glib.h>
#include <stdbool.h>

#include "kernel.h"
#include "ntkaddr.h"

#define QSPND_MAX_NICS 16
#define QSPND_TABLE_NTK_NAME "ntk"

typedef struct {
    char dev[KOP_DEVLEN];
    uint32_t linklocal;          /* host byte order */
    char mac[18];                /* "00:16:3E:FD:E2:AA", filled at run time */
} qspnd_nic;

typedef struct {
    ntk_topology topo;
    ntk_naddr addr;              /* initial address, fully real */
    int subnet_level;            /* 0: not an autonomous-subnet gateway */
    bool serve_anonymous;        /* -k: assign the anonymising address, NETMAP its range */
    bool anonymize;              /* SNAT relay (default on; -j turns it off) */
    size_t n_nics;
    qspnd_nic nics[QSPND_MAX_NICS];
} qspnd_config;

/* Start-up (behaviour.md §2.2, Proof/commands/sequence "Prime operazioni"):
 *   sysctls, I_0 on lo, per NIC (sysctls, link up, link-local), rt_tables + rule
 *   of ntk, own addresses (address-major, NIC-minor), unreachable routes of every
 *   destination, the nft table with the NETMAP rules then the SNAT rule (one
 *   transaction), then the "full update" of ntk after the immediate bootstrap
 *   (ip route change unreachable, same order).  Returns a GArray of kop. */
GArray *plan_startup(const qspnd_config *c);

/* Teardown at quit/SIGTERM/SIGINT (behaviour.md §5.17, RECOMMENDED order):
 * link-locals, rule of ntk, flush ntk, rt_tables line of ntk, nft table
 * (SNAT + NETMAP), own addresses, I_0 on lo.  Every kop is tolerant. */
GArray *plan_teardown(const qspnd_config *c);

/* The inverse of the first n kops of a start-up plan, in reverse order (used when
 * start-up fails half-way).  Every kop is tolerant. */
GArray *plan_rollback(const kop *applied, size_t n);

/* The state file and the leftover sweep plan: state.h. */

#endif
