/* jsonb.h - shorthands for json-glib builders (show.c, show_json.c). */
#ifndef QSPN_DAEMON_JSONB_H
#define QSPN_DAEMON_JSONB_H

#include <json-glib/json-glib.h>

#define JSTR(b, k, v) (json_builder_set_member_name(b, k), json_builder_add_string_value(b, v))
#define JINT(b, k, v) (json_builder_set_member_name(b, k), json_builder_add_int_value(b, v))
#define JBOOL(b, k, v) (json_builder_set_member_name(b, k), json_builder_add_boolean_value(b, v))
#define JNULL(b, k) (json_builder_set_member_name(b, k), json_builder_add_null_value(b))

#endif
