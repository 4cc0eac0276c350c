/* codec_tlv.h - the TLV types of the ETP body, shared by the writer
 * (codec_encode.c) and the reader (codec.c); docs/wire-format.md. */
#ifndef QSPN_CODEC_TLV_H
#define QSPN_CODEC_TLV_H

enum {
    TLV_CRITICAL = 0x80,
    TLV_SENDER = 0x81,
    TLV_FINGERPRINTS = 0x82,
    TLV_NODES_INSIDE = 0x83,
    TLV_ROUTE = 0x84,
    TLV_PATH = 0x85,
    TLV_SEQ = 0x06,
};

#endif
