/* monevent.h - the events of `qspnctl monitor` and their two printed forms,
 * one line each: text (readable) and JSON (one object, JSON Lines).  Pure: no
 * daemon state, no I/O; unit-tested (tests/daemon/test_monevent.c).  Every
 * field is a bounded value; strings are cut to their array and sanitised when
 * printed (text: control characters become '?'; JSON: escaped, invalid UTF-8
 * becomes '?').  docs/monitor.md lists the types and fields;
 * docs/json-schema/monitor-event.json is the schema of the JSON form. */
#ifndef QSPN_DAEMON_MONEVENT_H
#define QSPN_DAEMON_MONEVENT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define QMON_SCHEMA_VERSION 1
#define QMON_MAX_HOPS 16               /* hops printed of a path (then "hops_truncated") */
#define QMON_ADDRLEN 160               /* a Netsukuku address "3.0.1.0" */
#define QMON_NSLEN 64
#define QMON_OPLEN 512                 /* a kernel operation in its documented form */
#define QMON_ERRLEN 256

typedef enum {
    QMON_NEIGHBOUR_UP = 0,
    QMON_NEIGHBOUR_DOWN,
    QMON_ARC_ADDED,                    /* real arcs: add_real_arc ... */
    QMON_ARC_CHANGED,
    QMON_ARC_REMOVED,
    QMON_IDARC_ADDED,                  /* identity-arcs */
    QMON_IDARC_CHANGED,
    QMON_IDARC_REMOVED,
    QMON_QSPN_ARC_ADDED,               /* an identity-arc given to / taken from QSPN */
    QMON_QSPN_ARC_REMOVED,
    QMON_PATH_ADDED,                   /* best path of an identity to a destination */
    QMON_PATH_CHANGED,
    QMON_PATH_REMOVED,
    QMON_IDENTITY_CREATED,
    QMON_IDENTITY_DISMISSED,
    QMON_ADDRESS_CHANGED,              /* the Netsukuku address of an identity */
    QMON_IP_ADDRESS_ADDED,             /* an IP address qspnd added / removed */
    QMON_IP_ADDRESS_REMOVED,
    QMON_KERNEL,                       /* one kernel operation and its outcome */
    QMON_DAEMON_STOPPING,
    QMON_N_TYPES
} qmon_type;

typedef enum {
    QMON_KOP_OK = 0,
    QMON_KOP_ERROR,
    QMON_KOP_IGNORED,                  /* failed, but "already gone/there" is fine for it */
} qmon_kop_result;

typedef struct {
    int lvl, pos;
} qmon_hop;

typedef struct {
    qmon_type type;
    int64_t time_us;                   /* wall clock, microseconds since the epoch (UTC) */
    uint64_t seq;                      /* 1, 2, ... per daemon run */
    /* neighbours and real arcs */
    char dev[16];
    char mac[18], peer_mac[18];
    char peer_ll[16];
    int64_t rtt_us;                    /* neighbour_up */
    const char *reason;                /* neighbour_down: a static string */
    uint32_t cost_us, old_cost_us;
    /* identities, identity-arcs, paths */
    int identity;                      /* local identity index */
    uint32_t nodeid;                   /* identity_*: the identity's nodeid */
    int idarc;                         /* identity-arc index */
    uint32_t peer_nodeid;              /* identity-arcs; the gateway of a path */
    int table;                         /* qspn-arcs: forwarding table id (0: none) */
    char netns[QMON_NSLEN];            /* "" = the system's namespace */
    char address[QMON_ADDRLEN], old_address[QMON_ADDRLEN];   /* "" = none */
    int conn_from, conn_to;            /* address_changed: connectivity levels (0, 0: none) */
    qmon_hop dest;
    int n_hops;
    bool hops_truncated;
    qmon_hop hops[QMON_MAX_HOPS];
    /* IP addresses */
    char ip[16];
    int prefix;
    /* kernel operations */
    char op[QMON_OPLEN];
    qmon_kop_result result;
    char error[QMON_ERRLEN];
} qmon_event;

/* "neighbour_up", ... (the JSON "type"); NULL when out of range. */
const char *qmon_type_name(qmon_type t);
/* "2026-11-29T20:41:07.123Z" */
void qmon_format_time(int64_t time_us, char *buf, size_t len);
/* One line, without '\n', appended to out. */
void qmon_format_text(const qmon_event *ev, GString *out);
void qmon_format_json(const qmon_event *ev, GString *out);

#endif
