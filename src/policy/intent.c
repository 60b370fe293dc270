/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <strings.h>

#include "policy/config-internal.h"
#include "policy/jsonutil.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"

#define INTENT_NAME_MAX 64
#define IFNAME_MAX 15  /* IFNAMSIZ - 1 */

static const char *const intent_type_table[] = {
        "compute",
        "storage",
        "management",
};

const char *intent_type_to_string(IntentType t) {
        for (size_t i = 0; i < ELEMENTSOF(intent_type_table); i++)
                if ((unsigned) t == 1u << i)
                        return intent_type_table[i];
        return NULL;
}

int intent_type_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(intent_type_table); i++)
                if (strcasecmp(intent_type_table[i], s) == 0)
                        return (int) (1u << i);
        return -EINVAL;
}

bool intent_name_valid(const char *name) {
        size_t n;

        if (!name || name[0] == '.')
                return false;
        n = strlen(name);
        if (n < 1 || n > INTENT_NAME_MAX)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

/* A network interface name as the kernel accepts it (dev_valid_name), without ':' so that
 * it cannot be mistaken for a PCI address. */
static bool ifname_valid(const char *s) {
        size_t n = strlen(s);

        if (n < 1 || n > IFNAME_MAX || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || (unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

static bool adapter_same(const char *a, const char *b) {
        PciAddr x, y;

        if (pci_addr_parse(a, &x) >= 0 && pci_addr_parse(b, &y) >= 0)
                return pci_addr_equal(&x, &y);
        return streq(a, b);
}

static int parse_types(json_t *v, unsigned *ret, char **reason) {
        unsigned types = 0;
        size_t k;
        json_t *e;

        if (!json_is_array(v))
                return jcheck_problem(reason, "types", "must be an array of strings");
        if (json_array_size(v) == 0)
                return jcheck_problem(reason, "types", "must not be empty");
        json_array_foreach(v, k, e) {
                int t;

                if (!json_is_string(e))
                        return jcheck_problem(reason, "types", "must be an array of strings");
                t = intent_type_from_string(json_string_value(e));
                if (t < 0)
                        return jcheck_problem(reason, "types",
                                              "unknown type \"%.64s\" (expected compute, storage or management)",
                                              json_string_value(e));
                types |= (unsigned) t;
        }
        *ret = types;
        return 0;
}

static int parse_adapters(json_t *v, char ***ret, size_t *ret_n, char **reason) {
        char **a = NULL;
        size_t k, n;
        json_t *e;
        int r = 0;

        if (!json_is_array(v))
                return jcheck_problem(reason, "adapters", "must be an array of strings");
        n = json_array_size(v);
        if (n == 0)
                return jcheck_problem(reason, "adapters", "must not be empty");
        if (n > INTENT_ADAPTERS_MAX)
                return jcheck_problem(reason, "adapters", "more than %u adapters", INTENT_ADAPTERS_MAX);
        json_array_foreach(v, k, e) {
                if (!json_is_string(e))
                        return jcheck_problem(reason, "adapters", "must be an array of strings");
        }

        a = calloc(n, sizeof(char *));
        if (!a)
                return -ENOMEM;
        json_array_foreach(v, k, e) {
                const char *s = json_string_value(e);
                PciAddr addr;

                if (strchr(s, ':') ? pci_addr_parse(s, &addr) < 0 : !ifname_valid(s)) {
                        r = jcheck_problem(reason, "adapters",
                                           "\"%.64s\" is neither a network interface name nor a PCI address "
                                           "like 0000:3b:00.1", s);
                        goto fail;
                }
                for (size_t m = 0; m < k; m++)
                        if (adapter_same(a[m], s)) {
                                r = jcheck_problem(reason, "adapters", "\"%s\" is listed twice", s);
                                goto fail;
                        }
                a[k] = strdup(s);
                if (!a[k]) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        *ret = a;
        *ret_n = n;
        return 0;
fail:
        for (size_t m = 0; m < n; m++)
                free(a[m]);
        free(a);
        return r;
}

int intent_parse(json_t *j, Intent *ret, char **reason) {
        static const char *const keys[] = { "name", "types", "adapters", NULL };
        _cleanup_(intent_done) Intent i = {};
        json_t *v;
        int r;

        r = jcheck_known_keys(j, NULL, keys, reason);
        if (r < 0)
                return r;

        v = json_object_get(j, "name");
        if (!v)
                return jcheck_problem(reason, "name", "is required");
        if (!json_is_string(v))
                return jcheck_problem(reason, "name", "must be a string");
        if (!intent_name_valid(json_string_value(v)))
                return jcheck_problem(reason, "name",
                                      "\"%.80s\" is not 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-' "
                                      "not starting with '.'",
                                      json_string_value(v));
        i.name = strdup(json_string_value(v));
        if (!i.name)
                return -ENOMEM;

        v = json_object_get(j, "types");
        if (!v)
                return jcheck_problem(reason, "types", "is required");
        r = parse_types(v, &i.types, reason);
        if (r < 0)
                return r;

        v = json_object_get(j, "adapters");
        if (!v)
                return jcheck_problem(reason, "adapters", "is required");
        r = parse_adapters(v, &i.adapters, &i.n_adapters, reason);
        if (r < 0)
                return r;

        *ret = i;
        i = (Intent){};
        return 0;
}

int intent_parse_text(const char *text, size_t size, Intent *ret, char **reason) {
        json_auto_t *j = NULL;
        int r;

        r = jcheck_parse(text, size, &j, reason);
        if (r < 0)
                return r;
        return intent_parse(j, ret, reason);
}

void intent_done(Intent *i) {
        free(i->name);
        for (size_t k = 0; k < i->n_adapters; k++)
                free(i->adapters[k]);
        free(i->adapters);
        free(i->source);
        *i = (Intent){};
}
