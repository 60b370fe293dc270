/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet-prereq: discovery and the prerequisite engine without the daemon, printed: on a
 * host (as root: the PCI config space past 256 bytes needs it) or, offline, on a host
 * description (docs/host-description.md) built into a fake root. accelnetd's
 * GetPrerequisites (accelnetctl prereq) gives the same rows for the running host.
 *
 * A separate program, not an accelnetctl verb: it reads the hardware (libpci, sysfs) through
 * src/sriov, which accelnetctl - a client of the daemon only - does not link. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "policy/prereq.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "sriov/discover.h"
#include "sim/fakeroot.h"

#define EXIT_CHECK_FAILED 3 /* as accelnetctl prereq */

static void help(void) {
        printf("accelnet-prereq [OPTIONS...]\n\n"
               "Discovers the SR-IOV network adapters of a host and prints each prerequisite\n"
               "check with its evidence and remedy, without accelnetd.\n\n"
               "  --root=DIR             Read the host under DIR (default /)\n"
               "  --host=FILE            Check a host description (docs/host-description.md):\n"
               "                         build it into --root (an empty folder), or into a\n"
               "                         temporary folder that is removed afterwards\n"
               "  --dump-dir=DIR         Where its relative \"dump\" files are (default: FILE's\n"
               "                         folder)\n"
               "  --libvirt-version=V    The libvirt version to check (default: not checked)\n"
               "  -v --verbose           Also print the problems found for each adapter\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n\n"
               "Exit status: 0 every check passed (warnings allowed), 3 a check failed,\n"
               "1 the host could not be read, 2 bad usage. See accelnet-prereq(1).\n");
}

static int run(const char *root, const char *host, const char *dump_dir, const PrereqConfig *c, bool verbose);

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "host", required_argument, NULL, 'H' },
                { "dump-dir", required_argument, NULL, 'd' },
                { "libvirt-version", required_argument, NULL, 'l' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        const char *root = NULL, *host = NULL, *dump_dir = NULL;
        _cleanup_free_ char *tmp = NULL;
        PrereqConfig cfg = {};
        bool verbose = false;
        int c, r;

        log_set_ident("accelnet-prereq");
        while ((c = getopt_long(argc, argv, "hv", opts, NULL)) >= 0)
                switch (c) {
                case 'r': root = optarg; break;
                case 'H': host = optarg; break;
                case 'd': dump_dir = optarg; break;
                case 'l': cfg.libvirt_version = optarg; break;
                case 'v': verbose = true; break;
                case 'h': help(); return 0;
                case 'V': puts(PACKAGE_VERSION); return 0;
                default:
                        fprintf(stderr, "accelnet-prereq: bad usage; see 'accelnet-prereq --help'.\n");
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "accelnet-prereq: unexpected argument '%s'; see 'accelnet-prereq --help'.\n",
                        argv[optind]);
                return 2;
        }
        if (host && !root) {
                /* never into / : a temporary root, removed at the end */
                const char *t = getenv("TMPDIR");
                if (asprintf(&tmp, "%s/accelnet-prereq-XXXXXX", t && *t ? t : "/tmp") < 0 || !mkdtemp(tmp)) {
                        log_error("Cannot create a temporary folder: %s", strerror(errno));
                        return 1;
                }
                root = tmp;
        }
        if (!root)
                root = "/";
        r = run(root, host, dump_dir, &cfg, verbose);
        if (tmp)
                (void) rm_rf(tmp);
        return r;
}

static int run(const char *root, const char *host, const char *dump_dir, const PrereqConfig *c, bool verbose) {
        PrereqConfig cfg = *c;
        int r;

        if (host) {
                _cleanup_free_ char *err = NULL;
                FakeRootOptions fo = { .dump_dir = dump_dir };
                r = fakeroot_build_file(root, host, &fo, &err);
                if (r < 0) {
                        log_error("Cannot build %s from %s: %s", root, host, err ? err : strerror(-r));
                        return 1;
                }
        }

        _cleanup_(pci_access_freep) PciAccess *pacc = NULL;
        _cleanup_(host_facts_freep) HostFacts *h = NULL;
        _cleanup_(prereq_report_freep) PrereqReport *rep = NULL;
        r = pci_access_new(root, &pacc);
        if (r < 0)
                return log_error_errno(r, "libpci: %m"), 1;
        r = host_discover(pacc, root, &h);
        if (r < 0)
                return log_error_errno(r, "Discovery under %s failed: %m", root), 1;
        r = prereq_evaluate(h, &cfg, &rep);
        if (r < 0)
                return log_error_errno(r, "Evaluation failed: %m"), 1;

        for (size_t i = 0; i < h->n_adapters; i++) {
                const PfFacts *f = &h->adapters[i];
                printf("%-14s %-10s %-10s %-16s %s %s\n", f->address, f->ifname ? f->ifname : "-",
                       f->driver ? f->driver : "-", sriov_support_to_string(rep->verdicts[i]),
                       f->vendor_name ? f->vendor_name : "", f->device_name ? f->device_name : "");
                if (verbose)
                        for (size_t k = 0; k < f->n_problems; k++)
                                printf("    problem: %s\n", f->problems[k]);
        }
        for (size_t i = 0; i < h->n_ignored; i++)
                printf("ignored: %s\n", h->ignored[i]);
        printf("\n");
        for (size_t i = 0; i < rep->n_rows; i++) {
                const PrereqRow *row = &rep->rows[i];
                printf("%-8s %-15s %-26s %s%s%s\n    %s\n", prereq_result_to_string(row->result), row->check,
                       row->subject, row->code ? "[" : "", row->code ? an_error_to_string(row->code) : "",
                       row->code ? "]" : "", row->detail);
        }
        for (size_t i = 0; i < rep->n_rows; i++)
                if (rep->rows[i].result == PREREQ_FAILED)
                        return EXIT_CHECK_FAILED;
        return 0;
}
