/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "policy/jsonutil.h"
#include "shared/fileio.h"

int jcheck_problem(char **reason, const char *field, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        char *s;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (field)
                r = asprintf(&s, "field \"%s\": %s", field, what);
        else
                r = asprintf(&s, "%s", what);
        if (r < 0)
                return -ENOMEM;
        /* Keys and values come from files: keep the line a single printable line. */
        for (char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        free(*reason);
        *reason = s;
        return -EBADMSG;
}

int jcheck_read_file(const char *path, size_t max, char **ret, size_t *ret_size, char **reason) {
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return jcheck_problem(reason, NULL, "not a regular file");
        if ((uint64_t) st.st_size > max)
                return jcheck_problem(reason, NULL, "larger than %zu bytes", max);
        r = read_full_file(path, max, ret, ret_size);
        if (r == -EFBIG)
                return jcheck_problem(reason, NULL, "larger than %zu bytes", max);
        return r;
}

int jcheck_load_file(const char *path, size_t max, json_t **ret, char **reason) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = jcheck_read_file(path, max, &buf, &size, reason);
        if (r < 0)
                return r;
        return jcheck_parse(buf, size, ret, reason);
}

int jcheck_parse(const char *text, size_t size, json_t **ret, char **reason) {
        json_auto_t *j = NULL;
        json_error_t err;

        j = json_loadb(text, size, JSON_REJECT_DUPLICATES, &err);
        if (!j)
                return jcheck_problem(reason, NULL, "invalid JSON (line %d, column %d): %.200s", err.line,
                                      err.column, err.text);
        if (!json_is_object(j))
                return jcheck_problem(reason, NULL, "must be a JSON object");
        *ret = TAKE_PTR(j);
        return 0;
}

int jcheck_uint(json_t *v, const char *field, uint64_t min, uint64_t max, uint64_t *ret, char **reason) {
        json_int_t i;

        if (!json_is_integer(v))
                return jcheck_problem(reason, field, "must be an integer between %" PRIu64 " and %" PRIu64, min,
                                      max);
        i = json_integer_value(v);
        if (i < 0 || (uint64_t) i < min || (uint64_t) i > max)
                return jcheck_problem(reason, field, "must be an integer between %" PRIu64 " and %" PRIu64 ", not %lld",
                                      min, max, (long long) i);
        *ret = (uint64_t) i;
        return 0;
}

int jcheck_bool(json_t *v, const char *field, bool *ret, char **reason) {
        if (!json_is_boolean(v))
                return jcheck_problem(reason, field, "must be true or false");
        *ret = json_is_true(v);
        return 0;
}

int jcheck_string(json_t *v, const char *field, bool nullable, bool allow_empty, size_t max_len,
                  const char **ret, char **reason) {
        size_t len;

        if (nullable && json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return jcheck_problem(reason, field, nullable ? "must be a string or null" : "must be a string");
        len = json_string_length(v);
        if (len == 0 && !allow_empty)
                return jcheck_problem(reason, field, "must not be empty");
        if (len > max_len)
                return jcheck_problem(reason, field, "must be at most %zu characters", max_len);
        *ret = json_string_value(v);
        return 0;
}

int jcheck_known_keys(json_t *object, const char *field, const char *const *keys, char **reason) {
        const char *key;
        json_t *v;

        if (!json_is_object(object))
                return jcheck_problem(reason, field, "must be an object");
        json_object_foreach(object, key, v) {
                bool known = false;
                for (const char *const *k = keys; *k; k++)
                        if (streq(*k, key)) {
                                known = true;
                                break;
                        }
                if (!known) {
                        char f[JCHECK_FIELD_MAX];
                        return jcheck_problem(reason, jcheck_field(f, field, key), "unknown key");
                }
        }
        return 0;
}

char *jcheck_field(char buf[static JCHECK_FIELD_MAX], const char *parent, const char *key) {
        if (isempty(parent))
                snprintf(buf, JCHECK_FIELD_MAX, "%.64s", key);
        else
                snprintf(buf, JCHECK_FIELD_MAX, "%s.%.64s", parent, key);
        return buf;
}

int jcheck_required_keys(json_t *object, const char *field, const char *const *keys, char **reason) {
        if (!json_is_object(object))
                return jcheck_problem(reason, field, "must be an object");
        for (const char *const *k = keys; *k; k++)
                if (!json_object_get(object, *k)) {
                        char f[JCHECK_FIELD_MAX];
                        return jcheck_problem(reason, jcheck_field(f, field, *k), "is required");
                }
        return 0;
}
