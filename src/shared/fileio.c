/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        for (;;) {
                if (allocated - n < 2) {
                        size_t want = allocated ? allocated * 2 : 4096;
                        if (want > max + 2)
                                want = max + 2; /* room for one byte too many and the NUL */
                        if (want <= allocated)
                                return -EFBIG;
                        char *p = realloc(buf, want);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = want;
                }
                ssize_t k = read(fd, buf + n, allocated - n - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max)
                        return -EFBIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, max, ret, ret_size);
}

char *strstrip(char *s) {
        char *e;
        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

int read_one_line(const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        char *nl, *s;
        int r;

        r = read_full_file(path, 4096, &buf, NULL);
        if (r < 0)
                return r;
        nl = strchr(buf, '\n');
        if (nl)
                *nl = 0;
        s = strstrip(buf);
        if (!*s)
                return -EBADMSG;
        s = strdup(s);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int parse_u64(const char *s, int base, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char) *s))
                s++;
        if (!*s || *s == '-' || *s == '+')
                return -EBADMSG;
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s)
                return -EBADMSG;
        while (isspace((unsigned char) *end))
                end++;
        if (*end)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int parse_s64(const char *s, int base, int64_t *ret) {
        char *end;
        long long v;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char) *s))
                s++;
        if (!*s)
                return -EBADMSG;
        errno = 0;
        v = strtoll(s, &end, base);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s)
                return -EBADMSG;
        while (isspace((unsigned char) *end))
                end++;
        if (*end)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int parse_u32(const char *s, int base, uint32_t *ret) {
        uint64_t v;
        int r = parse_u64(s, base, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int read_u64(const char *path, int base, uint64_t *ret) {
        _cleanup_free_ char *line = NULL;
        int r = read_one_line(path, &line);
        if (r < 0)
                return r;
        return parse_u64(line, base, ret);
}

int read_s64(const char *path, int base, int64_t *ret) {
        _cleanup_free_ char *line = NULL;
        int r = read_one_line(path, &line);
        if (r < 0)
                return r;
        return parse_s64(line, base, ret);
}

int write_string_file(const char *path, const char *s) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        size_t len = strlen(s);
        ssize_t k;

        if (fd < 0)
                return -errno;
        k = write(fd, s, len);
        if (k < 0)
                return -errno;
        if ((size_t) k != len)
                return -EIO;
        return 0;
}

int write_file_atomic(const char *path, const char *data, size_t size, unsigned mode) {
        return write_file_atomic_full(path, data, size, mode, true);
}

int write_file_atomic_full(const char *path, const char *data, size_t size, unsigned mode, bool durable) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        size_t done = 0;
        int r;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        while (done < size) {
                ssize_t k = write(fd, data + done, size - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                done += (size_t) k;
        }
        if (durable && fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        if (!durable)
                return 0;
        dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;
fail:
        (void) unlink(tmp);
        return r;
}

int fsync_path(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *dir = strdup(path);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        if (!dir)
                return -ENOMEM;
        _cleanup_close_ int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0 && fsync(dfd) < 0)
                return -errno;
        return 0;
}

int readlink_malloc(const char *path, char **ret) {
        char buf[PATH_MAX];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

char *path_join(const char *a, const char *b) {
        char *p;
        size_t la = strlen(a);
        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&p, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return p;
}

char *root_path(const char *root, const char *rel) {
        if (isempty(root) || streq(root, "/")) {
                char *p;
                while (*rel == '/')
                        rel++;
                if (asprintf(&p, "/%s", rel) < 0)
                        return NULL;
                return p;
        }
        return path_join(root, rel);
}

const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

bool file_exists(const char *path) {
        return access(path, F_OK) == 0;
}

int mkdir_p(const char *path, unsigned mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (flag == FTW_DP)
                return rmdir(p) < 0 ? -1 : 0;
        return unlink(p) < 0 ? -1 : 0;
}

int rm_rf(const char *path) {
        if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}
