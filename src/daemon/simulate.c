/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "simulate.h"
#include "sriov/fakeroot.h"

int simulation_data_dir(char **ret) {
        const char *e = getenv("ACCELNET_SIMULATE_DIR");
        char exe[PATH_MAX], real[PATH_MAX];

        if (e) {
                *ret = strdup(e);
                return *ret ? 0 : -ENOMEM;
        }
        /* Beside the running daemon, so that no path of the build or of the prefix is
         * compiled in: SBINDIR/../share/accelnet/simulate, and the same in the build tree. */
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n < 0)
                return -errno;
        exe[n] = '\0';
        _cleanup_free_ char *p = path_join(dirname(exe), ACCELNET_SIMULATE_DIR_FROM_SBINDIR);
        if (!p)
                return -ENOMEM;
        *ret = realpath(p, real) ? strdup(real) : TAKE_PTR(p);
        return *ret ? 0 : -ENOMEM;
}

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
        free(s);
        return NULL;
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

int simulation_setup(const char *host_json, ManagerOptions *mo, Simulation **ret) {
        _cleanup_(simulation_freep) Simulation *s = calloc(1, sizeof(Simulation));
        _cleanup_free_ char *data = NULL, *host = NULL, *host_dir = NULL, *err = NULL;
        char abspath[PATH_MAX];
        int r;

        if (!s)
                return log_oom();
        r = simulation_data_dir(&data);
        if (r < 0)
                return log_error_errno(r, "Cannot find the simulated host's data: %m");
        host = host_json ? strdup(host_json) : path_join(data, "host.json");
        host_dir = host ? strdup(host) : NULL;
        if (!host || !host_dir)
                return log_oom();

        if (!mo->root || !mo->state_dir) {
                const char *t = getenv("TMPDIR");
                if (asprintf(&s->tmpdir, "%s/accelnetd-sim-XXXXXX", t ? t : "/tmp") < 0 || !mkdtemp(s->tmpdir))
                        return log_error_errno(errno, "Cannot create a temporary directory: %m");
        }
        s->root = mo->root ? strdup(mo->root) : path_join(s->tmpdir, "root");
        if (!s->root)
                return log_oom();
        _cleanup_free_ char *sys = path_join(s->root, "sys");
        if (!sys)
                return log_oom();
        if (dir_is_empty_or_missing(sys)) {
                /* a description's relative "dump" files are beside it */
                FakeRootOptions fo = { .dump_dir = dirname(host_dir) };
                r = mkdir_p(s->root, 0755);
                if (r < 0)
                        return log_error_errno(r, "Cannot create %s: %m", s->root);
                r = fakeroot_build_file(s->root, host, &fo, &err);
                if (r < 0)
                        return log_error_errno(r, "Cannot build the simulated host from %s: %s", host,
                                               err ? err : strerror(-r));
                log_info("Simulated host from %s built in %s.", host, s->root);
        } else
                log_info("Simulated host: using the existing tree in %s.", s->root);

        if (!mo->config_dir && !(s->config_dir = path_join(data, "config")))
                return log_oom();
        if (!mo->state_dir && !(s->state_dir = path_join(s->tmpdir, "state")))
                return log_oom();
        if (!mo->libvirt_uri) {
                _cleanup_free_ char *x = path_join(data, "libvirt.xml");
                if (!x || !realpath(x, abspath))
                        return log_error_errno(errno, "Cannot find the simulated libvirt node file in %s: %m", data);
                if (asprintf(&s->libvirt_uri, "test://%s", abspath) < 0)
                        return log_oom();
        }
        mo->root = s->root;
        if (s->config_dir)
                mo->config_dir = s->config_dir;
        if (s->state_dir)
                mo->state_dir = s->state_dir;
        if (s->libvirt_uri)
                mo->libvirt_uri = s->libvirt_uri;
        *ret = TAKE_PTR(s);
        return 0;
}
