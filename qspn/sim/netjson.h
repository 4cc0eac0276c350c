/* netjson.h - qspn-sim --write-network (the format is described in netjson.c). */
#ifndef QSPN_SIM_NETJSON_H
#define QSPN_SIM_NETJSON_H

#include "sim.h"

typedef struct net_log net_log;

net_log *net_log_new(void);
void net_log_free(net_log *l);
/* Remember the initial costs of the links defined since the last call. */
void net_log_links(net_log *l, sim *s);
/* An event: link >= 0 for link events (its ends and costs after the event
 * are read from s), else node a (crash, join). */
void net_log_event(net_log *l, sim *s, const char *phase, const char *kind, int link, int a, int b);
bool net_log_write(net_log *l, sim *s, const char *path);

#endif
