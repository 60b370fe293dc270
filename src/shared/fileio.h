/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Small, strict helpers for sysfs-style files. All return 0 or a negative errno;
 * -EBADMSG means "the file exists but its content is not what it should be". */

/* At most `max` bytes; -EFBIG if the file is longer. The buffer is NUL-terminated. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size);
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);
/* First line, without trailing whitespace; -EBADMSG if empty. At most 4 KiB. */
int read_one_line(const char *path, char **ret);
/* A single unsigned number (base 0 accepts 0x..., base 16 plain hex). */
int read_u64(const char *path, int base, uint64_t *ret);
int read_s64(const char *path, int base, int64_t *ret);
int parse_u64(const char *s, int base, uint64_t *ret);
int parse_s64(const char *s, int base, int64_t *ret);
int parse_u32(const char *s, int base, uint32_t *ret);

int write_string_file(const char *path, const char *s);
/* Atomically: temporary file in the same directory, fsync, rename, fsync the directory. */
int write_file_atomic(const char *path, const char *data, size_t size, unsigned mode);
/* durable=false skips the fsyncs: the file is still replaced atomically (a process crash
 * never leaves it half written), but a power loss may lose the last change until the
 * caller runs fsync_path. */
int write_file_atomic_full(const char *path, const char *data, size_t size, unsigned mode, bool durable);
/* fsync of a file and of its directory. */
int fsync_path(const char *path);

int readlink_malloc(const char *path, char **ret);
/* Joins with exactly one '/' between; NULL on OOM. */
char *path_join(const char *a, const char *b);
/* root + "/" + rel, where root "/" or "" gives rel as absolute. */
char *root_path(const char *root, const char *rel);
const char *path_basename(const char *p);
bool file_exists(const char *path);
int mkdir_p(const char *path, unsigned mode);
int rm_rf(const char *path);

/* strtok-free line splitting and trimming. */
char *strstrip(char *s);
