/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand ownership over: returns the pointer and clears the variable. */
#define TAKE_PTR(p)                         \
        ({                                  \
                __typeof__(p) _ptr_ = (p);  \
                (p) = NULL;                 \
                _ptr_;                      \
        })

#define TAKE_FD(fd)                         \
        ({                                  \
                int _fd_ = (fd);            \
                (fd) = -EBADF;              \
                _fd_;                       \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)          \
        static inline void func##p(type *p) {            \
                if (*p)                                  \
                        *p = func(*p);                   \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

#include <stdio.h>
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

#define free_and_replace(a, b)          \
        ({                              \
                free(a);                \
                (a) = (b);              \
                (b) = NULL;             \
                0;                      \
        })

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)
#define strempty(s) ((s) ? (s) : "")
#define isempty(s) (!(s) || !(s)[0])

#define assert_return(expr, r)                  \
        do {                                    \
                if (_unlikely_(!(expr)))        \
                        return (r);             \
        } while (0)

#define RET_NERRNO(expr)                        \
        ({                                      \
                int _r_ = (expr);               \
                _r_ < 0 ? -errno : _r_;         \
        })

#include <dirent.h>
static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* A NULL-terminated string array (as sd_bus_message_read_strv returns). */
static inline void strv_freep(char ***p) {
        if (*p) {
                for (char **s = *p; *s; s++)
                        free(*s);
                free(*p);
        }
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
