/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <strings.h>
#include "macro.h"

/* Every enum that has names gets a to/from string pair built from one table.
 * _from_string is case-insensitive (tiers are typed by people) and returns -EINVAL
 * for an unknown or NULL name. */
#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                  \
        const char *name##_to_string(type i) {                                  \
                if ((int) i < 0 || (size_t) i >= ELEMENTSOF(name##_table))      \
                        return NULL;                                            \
                return name##_table[i];                                         \
        }                                                                       \
        type name##_from_string(const char *s) {                                \
                if (!s)                                                         \
                        return (type) -EINVAL;                                  \
                for (size_t i = 0; i < ELEMENTSOF(name##_table); i++)           \
                        if (name##_table[i] && strcasecmp(name##_table[i], s) == 0) \
                                return (type) i;                                \
                return (type) -EINVAL;                                          \
        }
