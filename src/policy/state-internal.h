/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by state-file.c (state.json) and state-journal.c (state.journal) only. */

#include <jansson.h>

#include "policy/state.h"

#define STATE_FILE "state.json"
#define STATE_JOURNAL_FILE "state.journal"

/* One line per change: {"drop": NAME}, {"plan": {"adapters": [...], "management": {...}}},
 * {"waiting": [...]}, {"servicing": {"drained": [...], "vms": [...]}}, {"vm": RECORD}, in that
 * order, each ending in "\n". */
int state_journal_format(const Assignment *const *upserts, size_t n_upserts, const char *const *drops, size_t n_drops,
                         const State *plan, const State *waiting, const State *servicing, char **ret,
                         size_t *ret_size);
int state_parse_assignment(json_t *o, const char *field, Assignment *a, char **reason);
/* The management settings and the adapters of the plan, replacing those of s. */
int state_parse_plan(json_t *o, State *s, char **reason);
/* The waiting VMs (an array named field in problems), replacing those of s. */
int state_parse_waiting(json_t *a, const char *field, State *s, char **reason);
/* Nothing recorded twice (VM names, VF and PF addresses). */
int state_check_unique(const State *s, char **reason);
/* The check for one array: keys[i] is the `key` of array[i]; -EBADMSG names the second. */
int state_check_unique_keys(const char *array, const char *key, const char *const *keys, size_t n, char **reason);

/* Servicing (state-servicing.c, schema 3): {"drained": [{"pf", "since"}], "vms": [{"vm",
 * "revoked_since", "without_vf_since", "without_vf_s"}]}, replacing those of s (s keeps its
 * lists unless the whole object is good). */
int state_parse_servicing(json_t *o, const char *field, State *s, char **reason);
/* No adapter drained twice, no VM twice. */
int state_servicing_check_unique(const State *s, char **reason);
/* A saved VF's link state: "auto", "enable", "disable" (STATE_LINK_STATE_*). */
const char *state_link_state_to_string(uint32_t v);
int state_link_state_from_string(const char *s);
int state_move_aside(const char *path, const char *tag, char **ret);
/* Applies STATE_DIR/state.journal to s (state_load). A last line cut short (a crash in the
 * middle of an append) is ignored; a line that cannot be read ends the replay there and the
 * journal is set aside: *ret_note (owned) then says so. */
int state_journal_replay(const char *state_dir, State *s, char **ret_note);
