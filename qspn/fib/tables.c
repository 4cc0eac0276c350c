/* tables.c - forwarding table numbers, highest free first, reference counted. */
#include "tables.h"

#include <stdio.h>
#include <string.h>

#define N_TABLES (TABLES_FIRST - TABLES_LAST + 1)

void tables_init(tables *t)
{
    memset(t, 0, sizeof *t);
}

/* Slot i holds number TABLES_FIRST - i, so the first free slot is the highest free number. */
static int slot_of(const tables *t, const nmsg_mac *mac)
{
    for (int i = 0; i < N_TABLES; i++)
        if (t->e[i].tid && nmsg_mac_equal(&t->e[i].mac, mac))
            return i;
    return -1;
}

int tables_acquire(tables *t, const nmsg_mac *mac, bool *fresh)
{
    int i = slot_of(t, mac);
    if (fresh)
        *fresh = false;
    if (i >= 0) {
        t->e[i].refs++;
        return t->e[i].tid;
    }
    for (i = 0; i < N_TABLES; i++)
        if (!t->e[i].tid) {
            t->e[i].tid = TABLES_FIRST - i;
            t->e[i].mac = *mac;
            t->e[i].refs = 1;
            if (fresh)
                *fresh = true;
            return t->e[i].tid;
        }
    return -1;
}

bool tables_release(tables *t, const nmsg_mac *mac)
{
    int i = slot_of(t, mac);
    if (i < 0)
        return false;
    if (--t->e[i].refs > 0)
        return false;
    memset(&t->e[i], 0, sizeof t->e[i]);
    return true;
}

int tables_lookup(const tables *t, const nmsg_mac *mac)
{
    int i = slot_of(t, mac);
    return i < 0 ? -1 : t->e[i].tid;
}

int tables_refs(const tables *t, const nmsg_mac *mac)
{
    int i = slot_of(t, mac);
    return i < 0 ? 0 : t->e[i].refs;
}

void tables_name(const nmsg_mac *mac, char *buf, size_t len)
{
    char m[24];
    nmsg_mac_format(mac, m, sizeof m);
    snprintf(buf, len, "ntk_from_%s", m);
}

int tables_list(const tables *t, tables_entry *out, int max)
{
    int c = 0;
    for (int i = 0; i < N_TABLES; i++)
        if (t->e[i].tid) {
            if (c < max)
                out[c] = t->e[i];
            c++;
        }
    return c;
}
