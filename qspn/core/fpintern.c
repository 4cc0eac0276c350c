/* fpintern.c - interned fingerprints (fpintern.h). A stored path used to
 * carry its own qspn_fp (144 bytes, room for 16 levels); the paths of a
 * manager carry a few dozen distinct fingerprints, so each path now points
 * to one shared, refcounted copy. */
#include <stdlib.h>
#include <string.h>

#include "fpintern.h"

bool qspn_fp_same(const qspn_fp *a, const qspn_fp *b)
{
    return a->id == b->id && a->level == b->level && memcmp(a->eld, b->eld, sizeof a->eld) == 0 &&
           memcmp(a->seed, b->seed, sizeof a->seed) == 0;
}

/* Equal fingerprints have the same id and level, so these suffice. */
static size_t slot_of(const qspn_fp_table *t, const qspn_fp *fp)
{
    uint64_t h = fp->id ^ ((uint64_t)(uint32_t)fp->level << 56);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & (size_t)(t->cap - 1);
}

static void grow(qspn_fp_table *t)
{
    qspn_fp_table nt = {0, t->cap ? t->cap * 2 : 16, NULL};
    nt.slot = calloc((size_t)nt.cap, sizeof *nt.slot);
    if (!nt.slot)
        abort();
    for (int i = 0; i < t->cap; i++) {
        if (!t->slot[i])
            continue;
        size_t s = slot_of(&nt, &t->slot[i]->fp);
        while (nt.slot[s])
            s = (s + 1) & (size_t)(nt.cap - 1);
        nt.slot[s] = t->slot[i];
    }
    nt.n = t->n;
    free(t->slot);
    *t = nt;
}

const qspn_fp *qspn_fp_intern(qspn_fp_table *t, const qspn_fp *fp)
{
    if (2 * (t->n + 1) > t->cap)
        grow(t);
    size_t s = slot_of(t, fp);
    for (; t->slot[s]; s = (s + 1) & (size_t)(t->cap - 1))
        if (qspn_fp_same(&t->slot[s]->fp, fp)) {
            t->slot[s]->refs++;
            return &t->slot[s]->fp;
        }
    qspn_fp_entry *e = malloc(sizeof *e);
    if (!e)
        abort();
    e->fp = *fp;
    e->refs = 1;
    t->slot[s] = e;
    t->n++;
    return &e->fp;
}

const qspn_fp *qspn_fp_ref(const qspn_fp *fp)
{
    ((qspn_fp_entry *)(uintptr_t)fp)->refs++;
    return fp;
}

uint32_t qspn_fp_refs(const qspn_fp *fp)
{
    return ((const qspn_fp_entry *)fp)->refs;
}

/* Backward-shift deletion keeps every probe sequence unbroken. */
static void remove_slot(qspn_fp_table *t, size_t hole)
{
    size_t mask = (size_t)(t->cap - 1);
    t->slot[hole] = NULL;
    for (size_t s = (hole + 1) & mask; t->slot[s]; s = (s + 1) & mask) {
        size_t home = slot_of(t, &t->slot[s]->fp);
        /* move s into the hole unless its home lies cyclically in (hole, s] */
        bool stays = hole < s ? (home > hole && home <= s) : (home > hole || home <= s);
        if (stays)
            continue;
        t->slot[hole] = t->slot[s];
        t->slot[s] = NULL;
        hole = s;
    }
    t->n--;
}

void qspn_fp_release(qspn_fp_table *t, const qspn_fp *fp)
{
    qspn_fp_entry *e = (qspn_fp_entry *)(uintptr_t)fp;
    if (--e->refs > 0)
        return;
    size_t s = slot_of(t, fp);
    while (t->slot[s] != e)
        s = (s + 1) & (size_t)(t->cap - 1);
    remove_slot(t, s);
    free(e);
}

size_t qspn_fp_table_bytes(const qspn_fp_table *t)
{
    return (size_t)t->cap * sizeof *t->slot + (size_t)t->n * sizeof(qspn_fp_entry);
}

void qspn_fp_table_free(qspn_fp_table *t)
{
    for (int i = 0; i < t->cap; i++)
        free(t->slot[i]);
    free(t->slot);
    t->slot = NULL;
    t->n = t->cap = 0;
}
