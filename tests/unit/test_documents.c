/* test_documents.c - the address library against the lists the documents print.
 *
 * For every case of tests/data/documented-lists.tsv, the own addresses, the
 * destination CIDRs (in order) and the NAT rules are read from the cited lines of
 * the Italian documentation (Proof/commands/sequence, Eventi*.md) and compared,
 * in order, with what the library computes. Nothing expected is written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ntkaddr.h"
#include "testutil.h"

typedef struct {
    char name[64], topology[64], address[64], file[128], table[64], check[64];
    int subnet;
    int virtual_ok;
    long first, last;
} doc_case;

typedef struct {
    strlist addresses, destinations, nat;
} doc_lists;

/* Extract the three lists from document lines, in document order. */
static void extract(const strlist *lines, const char *table, doc_lists *out)
{
    for (size_t i = 0; i < lines->n; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", lines->items[i]);
        squeeze_blanks(buf);
        char a[128], b[128], c[128];
        if (sscanf(buf, "ip address add %127s dev %127s", a, b) == 2 && !strcmp(b, "eth1") &&
            !strncmp(a, "10.", 3)) {
            strlist_add(&out->addresses, a);
        } else if (sscanf(buf, "ip route add unreachable %127s table %127s", a, c) == 2) {
            if (!strcmp(c, table))
                strlist_add(&out->destinations, a);
        } else if (!strncmp(buf, "iptables -t nat -A ", 19)) {
            strlist_add(&out->nat, buf + 19);
        }
    }
}

/* The same lists computed by the library, in the documents' textual form. */
static void compute(const doc_case *dc, doc_lists *out)
{
    char err[NTK_ERRLEN], a[NTK_STRLEN], b[NTK_STRLEN], c[NTK_STRLEN], line[4 * NTK_STRLEN];
    ntk_topology t;
    ntk_naddr n;
    if (!ntk_topology_parse(dc->topology, &t, err, sizeof err))
        fail_msg("topology %s: %s", dc->topology, err);
    if (!ntk_naddr_parse(&t, dc->address, dc->virtual_ok, &n, err, sizeof err))
        fail_msg("address %s: %s", dc->address, err);

    ntk_local_ip ips[NTK_MAX_LEVELS + 1];
    size_t nips = ntk_local_ips(&t, &n, true, ips, NTK_MAX_LEVELS + 1);
    for (size_t i = 0; i < nips; i++) {
        ntk_ip_format(ips[i].addr, a, sizeof a);
        strlist_add(&out->addresses, a);
    }
    size_t cap = ntk_destinations_max(&t);
    ntk_dest *d = calloc(cap, sizeof *d);
    size_t nd = ntk_destinations(&t, &n, dc->subnet, d, cap);
    assert_true(nd <= cap);
    for (size_t i = 0; i < nd; i++) {
        ntk_cidr_format(d[i].cidr, a, sizeof a);
        strlist_add(&out->destinations, a);
    }
    free(d);

    ntk_netmap_rule m[2 * NTK_MAX_LEVELS + 2];
    size_t nm = ntk_netmap_rules(&t, &n, dc->subnet, true, m, 2 * NTK_MAX_LEVELS + 2);
    for (size_t i = 0; i < nm; i++) {
        const char *chain = m[i].chain == NTK_NAT_PREROUTING ? "PREROUTING" : "POSTROUTING";
        ntk_cidr_format(m[i].dst, a, sizeof a);
        ntk_cidr_format(m[i].to, c, sizeof c);
        if (m[i].has_src) {
            ntk_cidr_format(m[i].src, b, sizeof b);
            snprintf(line, sizeof line, "%s -d %s -s %s -j NETMAP --to %s", chain, a, b, c);
        } else {
            snprintf(line, sizeof line, "%s -d %s -j NETMAP --to %s", chain, a, c);
        }
        strlist_add(&out->nat, line);
    }
    ntk_cidr match;
    uint32_t to;
    if (ntk_snat_rule(&t, &n, &match, &to)) {
        ntk_cidr_format(match, a, sizeof a);
        ntk_ip_format(to, b, sizeof b);
        snprintf(line, sizeof line, "POSTROUTING -d %s -j SNAT --to %s", a, b);
        strlist_add(&out->nat, line);
    }
}

/* True when `what` is one of the comma-separated words of `check`. */
static int has_word(const char *check, const char *what)
{
    size_t len = strlen(what);
    for (const char *p = check; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, what, len) && (p[len] == ',' || p[len] == '\0'))
            return 1;
    return 0;
}

static void compare(const doc_case *dc, const char *what, const strlist *doc, const strlist *lib)
{
    if (!has_word(dc->check, what))
        return;
    char *d = strlist_join(doc), *l = strlist_join(lib);
    if (doc->n == 0)
        fail_msg("%s: %s lines %ld-%ld list no %s: wrong line range?", dc->name, dc->file,
                 dc->first, dc->last, what);
    if (strcmp(d, l) != 0) {
        print_error("%s: %s differ\n--- document %s:%ld-%ld (%zu)\n%s--- library (%zu)\n%s",
                    dc->name, what, dc->file, dc->first, dc->last, doc->n, d, lib->n, l);
        free(d);
        free(l);
        fail();
    }
    free(d);
    free(l);
}

static void test_case(void **state)
{
    const doc_case *dc = *state;
    char rel[256];
    snprintf(rel, sizeof rel, "reference/netsukuku-docs/Proof/%s", dc->file);
    char *path = test_path("QSPN_SHARED_DIR", rel);
    strlist *lines = read_lines(path, dc->first, dc->last);
    free(path);
    assert_non_null(lines);

    doc_lists doc = { 0 }, lib = { 0 };
    extract(lines, dc->table, &doc);
    compute(dc, &lib);
    compare(dc, "addresses", &doc.addresses, &lib.addresses);
    compare(dc, "destinations", &doc.destinations, &lib.destinations);
    compare(dc, "nat", &doc.nat, &lib.nat);

    strlist_clear(lines);
    free(lines);
    strlist_clear(&doc.addresses);
    strlist_clear(&doc.destinations);
    strlist_clear(&doc.nat);
    strlist_clear(&lib.addresses);
    strlist_clear(&lib.destinations);
    strlist_clear(&lib.nat);
}

int main(void)
{
    char *path = test_path("QSPN_TEST_DATA", "documented-lists.tsv");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    free(path);
    doc_case *cases = calloc(64, sizeof *cases);
    struct CMUnitTest *tests = calloc(64, sizeof *tests);
    size_t n = 0;
    char line[1024];
    while (fgets(line, sizeof line, f) && n < 64) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *fl[10];
        if (split_tabs(line, fl, 10) != 10) {
            fprintf(stderr, "documented-lists.tsv: malformed line '%s'\n", line);
            return 1;
        }
        doc_case *dc = &cases[n];
        snprintf(dc->name, sizeof dc->name, "%s", fl[0]);
        snprintf(dc->topology, sizeof dc->topology, "%s", fl[1]);
        snprintf(dc->address, sizeof dc->address, "%s", fl[2]);
        dc->subnet = atoi(fl[3]);
        dc->virtual_ok = !strcmp(fl[4], "yes");
        snprintf(dc->file, sizeof dc->file, "%s", fl[5]);
        dc->first = atol(fl[6]);
        dc->last = atol(fl[7]);
        snprintf(dc->table, sizeof dc->table, "%s", fl[8]);
        snprintf(dc->check, sizeof dc->check, "%s", fl[9]);
        tests[n] = (struct CMUnitTest){ .name = dc->name, .test_func = test_case,
                                        .initial_state = dc };
        n++;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "documented-lists.tsv has no cases\n");
        return 1;
    }
    int rc = _cmocka_run_group_tests("documented_lists", tests, n, NULL, NULL);
    free(tests);
    free(cases);
    return rc;
}
