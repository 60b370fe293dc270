/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pieces of config.c and intent.c shared between them and the unit tests. */

#include <jansson.h>

#include "policy/config.h"

#define CONFIG_FILE_MAX (1024u * 1024u)     /* larger files are skipped */
#define CONFIG_INTENTS_MAX 1024u            /* intents.d files looked at, in name order */
#define INTENT_ADAPTERS_MAX 256u
#define CONFIG_VCPUS_MAX 4096u              /* upper bound of a tier's min_vcpus */
#define CONFIG_RATE_MAX 1000000u            /* Mb/s, i.e. 1 Tb/s */

/* Both return 0, -EBADMSG with *reason ('field "F": what'), or -ENOMEM. j is borrowed. */
int settings_parse(json_t *j, Settings *ret, char **reason);
int intent_parse(json_t *j, Intent *ret, char **reason);
/* The same on a file's text (size bytes, no NUL needed): what config_load runs on
 * accelnet.json and on each intents.d file. Not JSON, or not an object: -EBADMSG. */
int settings_parse_text(const char *text, size_t size, Settings *ret, char **reason);
int intent_parse_text(const char *text, size_t size, Intent *ret, char **reason);
/* Frees the members; the Intent itself is not freed. */
void intent_done(Intent *i);
