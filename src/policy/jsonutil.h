/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict checks of jansson values for the files of the policy layer (configuration and
 * state). Content problems are returned, never logged: the functions return -EBADMSG and
 * set *reason to an allocated line 'field "FIELD": WHAT' (or just WHAT without a field),
 * with control characters replaced, so that the caller can prefix the file name. Other
 * negative errnos (-ENOMEM, I/O errors) are returned as they are, *reason untouched.
 * Every json_t * passed in is borrowed. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/macro.h"

/* Owned values are held in json_auto_t locals (jansson's cleanup attribute). */

/* A field path component, keys quoted at most this long. */
#define JCHECK_FIELD_MAX 256

int jcheck_problem(char **reason, const char *field, const char *fmt, ...) _printf_(3, 4);

/* Reads a regular file of at most max bytes and parses it as a JSON object (duplicate keys
 * are rejected). -ENOENT and other I/O errors are returned as they are; a file that is not
 * regular, too large, not JSON or not an object gives -EBADMSG with a reason. On success
 * *ret is owned by the caller. */
int jcheck_load_file(const char *path, size_t max, json_t **ret, char **reason);
/* jcheck_load_file's first half: the checks and the read, without parsing. *ret (owned,
 * NUL-terminated) and *ret_size are set on success only. */
int jcheck_read_file(const char *path, size_t max, char **ret, size_t *ret_size, char **reason);
/* The same from memory: size bytes of text (no NUL needed) parsed as a JSON object with
 * duplicate keys rejected; -EBADMSG with a reason otherwise. jcheck_load_file's parser. */
int jcheck_parse(const char *text, size_t size, json_t **ret, char **reason);

int jcheck_uint(json_t *v, const char *field, uint64_t min, uint64_t max, uint64_t *ret, char **reason);
int jcheck_bool(json_t *v, const char *field, bool *ret, char **reason);
/* *ret is borrowed from v. With nullable, JSON null gives NULL. Strings must be
 * 1..max_len bytes unless allow_empty. */
int jcheck_string(json_t *v, const char *field, bool nullable, bool allow_empty, size_t max_len,
                  const char **ret, char **reason);
/* "object" must be a JSON object; every key must be in the NULL-terminated list. */
int jcheck_known_keys(json_t *object, const char *field, const char *const *keys, char **reason);

/* Joins a field path: "tiers" + "low" → "tiers.low" (keys truncated). Returns buf. */
char *jcheck_field(char buf[static JCHECK_FIELD_MAX], const char *parent, const char *key);
/* Every key of the NULL-terminated list must be present in the object ("is required"). */
int jcheck_required_keys(json_t *object, const char *field, const char *const *keys, char **reason);
