/* grow.h - growable arrays of the QSPN core and the simulator. */
#ifndef QSPN_CORE_GROW_H
#define QSPN_CORE_GROW_H

#include <stddef.h>
#include <stdlib.h>

/* Room for one more element: when n == *cap the array doubles (from `first`).
 * Running out of memory aborts, like every allocation of the core. */
static inline void *qspn_grow(void *v, int n, int *cap, int first, size_t elem)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : first;
    v = realloc(v, (size_t)*cap * elem);
    if (!v)
        abort();
    return v;
}

/* QSPN_GROW(arr, n, cap, first): make arr[n] writable. */
#define QSPN_GROW(arr, n, cap, first) ((arr) = qspn_grow((arr), (n), &(cap), (first), sizeof *(arr)))

#endif
