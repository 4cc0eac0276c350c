/* tables.h - numbers of the forwarding tables ntk_from_<MAC> of one system.
 *
 * behaviour.md §4.2 [doc]: a forwarding table is named after the peer MAC and
 * its number is also the fwmark value; every identity of the system (every
 * namespace) with a qspn-arc towards that MAC uses the same number.  A new MAC
 * gets the highest free number from 250 down (251 is ntk); a number is freed
 * when its last user releases it and is then reused.  Pure C. */
#ifndef QSPN_FIB_TABLES_H
#define QSPN_FIB_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "nmsg.h"

#define TABLES_FIRST 250
#define TABLES_LAST 200
#define TABLES_NAMELEN 40          /* "ntk_from_00:16:3E:FD:E2:AA" */

typedef struct {
    int tid;                       /* 0 = free slot */
    nmsg_mac mac;
    int refs;
} tables_entry;

typedef struct {
    tables_entry e[TABLES_FIRST - TABLES_LAST + 1];
} tables;

void tables_init(tables *t);
/* One more user of mac's table: its number (allocated when it is the first
 * user), or -1 when every number is taken.  *fresh = true when allocated now. */
int tables_acquire(tables *t, const nmsg_mac *mac, bool *fresh);
/* One user less; true when the number was freed (its rt_tables line goes). */
bool tables_release(tables *t, const nmsg_mac *mac);
int tables_lookup(const tables *t, const nmsg_mac *mac);
int tables_refs(const tables *t, const nmsg_mac *mac);
void tables_name(const nmsg_mac *mac, char *buf, size_t len);   /* ntk_from_<MAC> */
/* Allocated entries, highest number first; returns the count. */
int tables_list(const tables *t, tables_entry *out, int max);

#endif
