/* nmsg_text.c - the text side of the daemon-to-daemon messages: names of
 * decoder results and message types for logs, MAC addresses parsed and
 * printed (upper case, as the documents write them). */
#include "nmsg.h"

#include <stdio.h>
#include <string.h>

const char *nmsg_result_name(nmsg_result r)
{
    static const char *const names[NMSG_E__COUNT] = {
        "ok", "short", "bad magic", "bad version", "bad flags", "reserved bytes set", "bad length",
        "unknown type", "bad addressing", "bad value", "trailing bytes",
    };
    return (unsigned)r < NMSG_E__COUNT ? names[r] : "?";
}

const char *nmsg_type_name(uint8_t type)
{
    switch (type) {
    case NMSG_HELLO:
        return "HELLO";
    case NMSG_GET_PEER_MAIN_ID:
        return "GET_PEER_MAIN_ID";
    case NMSG_MATCH_DUPLICATION:
        return "MATCH_DUPLICATION";
    case NMSG_NOTIFY_IDARC_REMOVED:
        return "NOTIFY_IDENTITY_ARC_REMOVED";
    case NMSG_GET_PEER_IDENTITIES:
        return "GET_PEER_IDENTITIES";
    case NMSG_QSPN:
        return "QSPN";
    case NMSG_REPLY:
        return "REPLY";
    default:
        return "?";
    }
}

/* ---- helpers ---------------------------------------------------------------- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

bool nmsg_mac_parse(const char *t, nmsg_mac *out)
{
    if (!t || strlen(t) != 17)
        return false;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(t[3 * i]), lo = hexval(t[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && t[3 * i + 2] != ':'))
            return false;
        out->b[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void nmsg_mac_format(const nmsg_mac *m, char *buf, size_t len)
{
    snprintf(buf, len, "%02X:%02X:%02X:%02X:%02X:%02X", m->b[0], m->b[1], m->b[2], m->b[3], m->b[4],
             m->b[5]);
}

bool nmsg_mac_equal(const nmsg_mac *a, const nmsg_mac *b)
{
    return memcmp(a->b, b->b, 6) == 0;
}
