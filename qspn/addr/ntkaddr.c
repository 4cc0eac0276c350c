/* ntkaddr.c - Netsukuku topologies and addresses: parsing, validation, printing.
 * The constraints are those of Proof/IndirizziIP.md and behaviour.md §3.1. */
#include "ntkaddr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Length of the separator at s ('.', ':' or the UTF-8 middle dot U+00B7), 0 if none. */
static size_t separator_len(const char *s)
{
    if (*s == '.' || *s == ':')
        return 1;
    if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xB7)
        return 2;
    return 0;
}

/* Split "a.b.c" into numbers, highest level first in the text. Each number is a
 * decimal without sign or leading junk, < limit. Returns the count or -1. */
static int parse_numbers(const char *text, long *out, int max, long limit,
                         const char *what, char *err, size_t errlen)
{
    if (!text || !*text) {
        fail(err, errlen, "empty %s", what);
        return -1;
    }
    int n = 0;
    const char *p = text;
    for (;;) {
        if (*p < '0' || *p > '9') {
            fail(err, errlen, "malformed %s '%s': expected a decimal number at offset %zu",
                 what, text, (size_t)(p - text));
            return -1;
        }
        long v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (v >= limit) {
                fail(err, errlen, "%s '%s': component %d is too large (limit %ld)",
                     what, text, n + 1, limit - 1);
                return -1;
            }
            p++;
        }
        if (n == max) {
            fail(err, errlen, "%s '%s' has more than %d components", what, text, max);
            return -1;
        }
        out[n++] = v;
        if (*p == '\0')
            return n;
        size_t sl = separator_len(p);
        if (!sl) {
            fail(err, errlen, "malformed %s '%s': unexpected character at offset %zu",
                 what, text, (size_t)(p - text));
            return -1;
        }
        p += sl;
    }
}

bool ntk_topology_init(ntk_topology *out, int levels, const int *gsize_by_level,
                       char *err, size_t errlen)
{
    if (levels < 1 || levels > NTK_MAX_LEVELS)
        return fail(err, errlen, "topology must have 1..%d levels, got %d",
                    NTK_MAX_LEVELS, levels);
    ntk_topology t;
    memset(&t, 0, sizeof t);
    t.levels = levels;
    int bits = 0;
    for (int i = 0; i < levels; i++) {
        int g = gsize_by_level[i];
        if (g < 2 || (g & (g - 1)) != 0)
            return fail(err, errlen,
                        "gsize of level %d is %d: every gsize must be a power of two >= 2", i, g);
        int e = 0;
        while ((1 << e) < g)
            e++;
        t.gsize[i] = g;
        t.gexp[i] = e;
        t.off[i] = bits;
        bits += e;
        if (bits > NTK_MAX_BITS)
            return fail(err, errlen,
                        "the sum of g-exp over all levels exceeds %d bits (10.0.0.0/8 minus 2 type bits)",
                        NTK_MAX_BITS);
    }
    t.off[levels] = bits;
    if (t.gsize[levels - 1] < levels)
        return fail(err, errlen,
                    "gsize of the top level (%d) must be >= the number of levels (%d)",
                    t.gsize[levels - 1], levels);
    *out = t;
    return true;
}

bool ntk_topology_parse(const char *text, ntk_topology *out, char *err, size_t errlen)
{
    long nums[NTK_MAX_LEVELS];
    int n = parse_numbers(text, nums, NTK_MAX_LEVELS, 1L << 23, "topology", err, errlen);
    if (n < 0)
        return false;
    int gsize[NTK_MAX_LEVELS];
    for (int i = 0; i < n; i++)
        gsize[i] = (int)nums[n - 1 - i];
    return ntk_topology_init(out, n, gsize, err, errlen);
}

int ntk_topology_bits(const ntk_topology *t)
{
    return t->off[t->levels];
}

/* Append "<v><sep>" pieces highest level first without overflowing buf. */
static void format_levels(const int *vals, int from, int to, const char *sep, bool trailing,
                          char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    size_t used = 0;
    for (int i = to; i >= from; i--) {
        const char *s = (i > from || trailing) ? sep : "";
        int w = snprintf(buf + used, len - used, "%d%s", vals[i], s);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

void ntk_topology_format(const ntk_topology *t, const char *sep, char *buf, size_t len)
{
    format_levels(t->gsize, 0, t->levels - 1, sep, false, buf, len);
}

bool ntk_naddr_parse(const ntk_topology *t, const char *text, bool allow_virtual,
                     ntk_naddr *out, char *err, size_t errlen)
{
    long nums[NTK_MAX_LEVELS];
    int n = parse_numbers(text, nums, NTK_MAX_LEVELS, NTK_MAX_POS, "address", err, errlen);
    if (n < 0)
        return false;
    if (n != t->levels)
        return fail(err, errlen, "address '%s' has %d positions but the topology has %d levels",
                    text, n, t->levels);
    ntk_naddr a;
    memset(&a, 0, sizeof a);
    a.levels = n;
    for (int i = 0; i < n; i++) {
        a.pos[i] = (int)nums[n - 1 - i];
        if (!allow_virtual && a.pos[i] >= t->gsize[i])
            return fail(err, errlen,
                        "address '%s': position %d at level %d is out of range (gsize %d)",
                        text, a.pos[i], i, t->gsize[i]);
    }
    *out = a;
    return true;
}

void ntk_naddr_format(const ntk_naddr *a, const char *sep, char *buf, size_t len)
{
    format_levels(a->pos, 0, a->levels - 1, sep, false, buf, len);
}

void ntk_gnode_format(const ntk_naddr *a, int level, const char *sep, char *buf, size_t len)
{
    if (level <= 0)
        ntk_naddr_format(a, sep, buf, len);
    else
        format_levels(a->pos, level, a->levels - 1, sep, true, buf, len);
}

bool ntk_pos_is_real(const ntk_topology *t, const ntk_naddr *a, int level)
{
    return level >= 0 && level < t->levels && a->pos[level] >= 0 &&
           a->pos[level] < t->gsize[level];
}

bool ntk_naddr_real_range(const ntk_topology *t, const ntk_naddr *a, int from, int to)
{
    for (int i = from; i <= to; i++)
        if (!ntk_pos_is_real(t, a, i))
            return false;
    return true;
}

bool ntk_naddr_is_real(const ntk_topology *t, const ntk_naddr *a)
{
    return ntk_naddr_real_range(t, a, 0, t->levels - 1);
}

bool ntk_naddr_equal(const ntk_naddr *a, const ntk_naddr *b)
{
    if (a->levels != b->levels)
        return false;
    for (int i = 0; i < a->levels; i++)
        if (a->pos[i] != b->pos[i])
            return false;
    return true;
}

ntk_hcoord ntk_max_distinct_gnode(const ntk_naddr *me, const ntk_naddr *other)
{
    for (int i = me->levels - 1; i >= 0; i--)
        if (me->pos[i] != other->pos[i])
            return (ntk_hcoord){ .lvl = i, .pos = other->pos[i] };
    return (ntk_hcoord){ .lvl = -1, .pos = -1 };
}

ntk_naddr ntk_naddr_of_hcoord(const ntk_naddr *me, ntk_hcoord hc)
{
    ntk_naddr d = *me;
    if (hc.lvl >= 0 && hc.lvl < d.levels)
        d.pos[hc.lvl] = hc.pos;
    return d;
}

bool ntk_subnet_level_valid(const ntk_topology *t, int subnet_level, char *err, size_t errlen)
{
    if (subnet_level < 0 || subnet_level >= t->levels)
        return fail(err, errlen, "subnet level %d out of range: must be 0 (none) .. %d",
                    subnet_level, t->levels - 1);
    return true;
}
