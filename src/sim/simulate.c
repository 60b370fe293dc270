/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "builtin.h"
#include "fakeroot.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "simulate.h"

Simulation *simulation_free(Simulation *s) {
        if (!s)
                return NULL;
        if (s->tmpdir)
                (void) rm_rf(s->tmpdir);
        free(s->tmpdir);
        free(s->root);
        free(s->config_dir);
        free(s->state_dir);
        free(s->libvirt_uri);
        free(s->host);
        return mfree(s);
}

static int failf(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int failf(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

static bool dir_is_empty_or_missing(const char *p) {
        _cleanup_(closedirp) DIR *d = opendir(p);
        struct dirent *de;
        if (!d)
                return true;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        return false;
        return true;
}

const EmbeddedFile *sim_builtin_find(const char *path) {
        for (size_t i = 0; i < sim_builtin_files_count; i++)
                if (streq(sim_builtin_files[i].path, path))
                        return &sim_builtin_files[i];
        return NULL;
}

int sim_builtin_write(const char *prefix, const char *dir) {
        size_t pl = strlen(prefix);
        int r;

        for (size_t i = 0; i < sim_builtin_files_count; i++) {
                const EmbeddedFile *f = &sim_builtin_files[i];
                if (strncmp(f->path, prefix, pl) != 0)
                        continue;
                _cleanup_free_ char *p = path_join(dir, f->path + pl), *parent = NULL;
                if (!p || !(parent = strdup(p)))
                        return -ENOMEM;
                *strrchr(parent, '/') = 0;
                r = mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
                r = write_file_atomic_full(p, (const char *) f->data, f->size, 0644, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The one environment variable the simulation reads: where temporary directories go, as
 * every program that makes one honours it (documented in accelnetd(8)). */
static int make_tmpdir(char **ret) {
        const char *t = getenv("TMPDIR");
        char *p;
        if (asprintf(&p, "%s/accelnetd-sim-XXXXXX", t && t[0] == '/' ? t : "/tmp") < 0)
                return -ENOMEM;
        if (!mkdtemp(p)) {
                int e = -errno;
                free(p);
                return e;
        }
        *ret = p;
        return 0;
}

static int build_host(Simulation *s, const char *host_json, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = mkdir_p(s->root, 0755);
        if (r < 0)
                return failf(ret_error, r, "Cannot create %s: %s", s->root, strerror(-r));
        if (host_json) {
                /* Relative "dump" paths resolve against the description's own directory. */
                r = fakeroot_build_file(s->root, host_json, NULL, &err);
                if (r < 0)
                        return failf(ret_error, r, "Cannot build the simulated host from %s: %s", host_json,
                                     err ? err : strerror(-r));
                s->host = strdup(host_json);
        } else {
                const EmbeddedFile *f = sim_builtin_find("host.json");
                json_error_t jerr;
                json_t *j = f ? json_loadb((const char *) f->data, f->size, JSON_REJECT_DUPLICATES, &jerr) : NULL;
                if (!j)
                        return failf(ret_error, -EBADMSG, "The built-in host description is missing or broken.");
                r = fakeroot_build(s->root, j, NULL, &err);
                json_decref(j);
                if (r < 0)
                        return failf(ret_error, r, "Cannot build the built-in simulated host: %s", err ? err : strerror(-r));
                s->host = strdup("built-in");
        }
        if (!s->host)
                return -ENOMEM;
        s->built = true;
        return 0;
}

int simulation_setup(const SimulationOptions *o, Simulation **ret, char **ret_error) {
        _cleanup_(simulation_freep) Simulation *s = NULL;
        int r;

        assert_return(o && ret, -EINVAL);
        if (o->host_json && !file_exists(o->host_json))
                return failf(ret_error, -ENOENT, "The host description %s does not exist.", o->host_json);
        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        if (!o->root || !o->config_dir || !o->state_dir || !o->libvirt_uri) {
                r = make_tmpdir(&s->tmpdir);
                if (r < 0)
                        return failf(ret_error, r, "Cannot create a temporary directory: %s", strerror(-r));
        }

        s->root = o->root ? strdup(o->root) : path_join(s->tmpdir, "root");
        if (!s->root)
                return -ENOMEM;
        _cleanup_free_ char *sys = path_join(s->root, "sys");
        if (!sys)
                return -ENOMEM;
        if (dir_is_empty_or_missing(sys)) {
                r = build_host(s, o->host_json, ret_error);
                if (r < 0)
                        return r;
        }

        if (o->config_dir)
                s->config_dir = strdup(o->config_dir);
        else if ((s->config_dir = path_join(s->tmpdir, "config"))) {
                r = sim_builtin_write("config/", s->config_dir);
                if (r < 0)
                        return failf(ret_error, r, "Cannot write the simulation's configuration to %s: %s",
                                     s->config_dir, strerror(-r));
        }
        s->state_dir = o->state_dir ? strdup(o->state_dir) : path_join(s->tmpdir, "state");
        if (o->libvirt_uri)
                s->libvirt_uri = strdup(o->libvirt_uri);
        else {
                _cleanup_free_ char *xml = path_join(s->tmpdir, "libvirt.xml");
                if (!xml)
                        return -ENOMEM;
                const EmbeddedFile *f = sim_builtin_find("libvirt.xml");
                r = f ? write_file_atomic_full(xml, (const char *) f->data, f->size, 0644, false) : -ENOENT;
                if (r < 0)
                        return failf(ret_error, r, "Cannot write the simulated libvirt node to %s: %s", xml,
                                     strerror(-r));
                if (asprintf(&s->libvirt_uri, "test://%s", xml) < 0)
                        s->libvirt_uri = NULL;
        }
        if (!s->config_dir || !s->state_dir || !s->libvirt_uri)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}
