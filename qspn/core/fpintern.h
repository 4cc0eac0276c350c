/* fpintern.h - interned fingerprints: one refcounted copy of every distinct
 * fingerprint per manager, shared by the stored paths (issue 13, routing
 * state per identity). Private to qspn/core; the unit tests use it too. */
#ifndef QSPN_CORE_FPINTERN_H
#define QSPN_CORE_FPINTERN_H

#include <stddef.h>
#include <stdint.h>

#include "qspn.h"

/* One interned fingerprint. fp is the first member: a `const qspn_fp *`
 * handed out by the table points to an entry. */
typedef struct {
    qspn_fp fp;
    uint32_t refs;
} qspn_fp_entry;

/* Open addressing, linear probing, backward-shift deletion; cap is 0 or a
 * power of two, at most half full. */
typedef struct {
    int n, cap;
    qspn_fp_entry **slot;
} qspn_fp_table;

/* Two fingerprints are the same entry when every field is equal (id, level,
 * all the elderships and seeds): qspn_fp_equals compares ids only. */
bool qspn_fp_same(const qspn_fp *a, const qspn_fp *b);
/* The shared copy of fp (one more reference). Aborts when out of memory. */
const qspn_fp *qspn_fp_intern(qspn_fp_table *t, const qspn_fp *fp);
/* One more reference to an interned fingerprint. */
const qspn_fp *qspn_fp_ref(const qspn_fp *fp);
/* One reference less; the entry is freed with its last reference. */
void qspn_fp_release(qspn_fp_table *t, const qspn_fp *fp);
uint32_t qspn_fp_refs(const qspn_fp *fp);
/* Bytes allocated: the slot array and the entries. */
size_t qspn_fp_table_bytes(const qspn_fp_table *t);
/* Frees the table and every entry, whatever their references. */
void qspn_fp_table_free(qspn_fp_table *t);

#endif
