/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Developer tool: discovery and the prerequisite engine, printed. The daemon's
 * GetPrerequisites (accelnetctl prereq) gives the same rows. */
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "policy/prereq.h"
#include "shared/log.h"
#include "sriov/discover.h"
#include "sim/fakeroot.h"

static void help(void) {
        printf("Usage: accelnet-prereq [--root=DIR] [--host=HOST.json [--dump-dir=DIR]] [--libvirt-version=V]\n"
               "Discovers SR-IOV network adapters under DIR (default /) and prints each prerequisite\n"
               "check with its evidence and remedy.\n"
               "  --host=FILE   first build a fake root in DIR from a host description\n"
               "  --dump-dir=DIR  where its relative \"dump\" files are (default: FILE's directory)\n"
               "  --verbose     also print the facts read for each adapter\n");
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "host", required_argument, NULL, 'H' },
                { "dump-dir", required_argument, NULL, 'd' },
                { "libvirt-version", required_argument, NULL, 'l' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *root = "/", *host = NULL, *dump_dir = NULL;
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
                default: return 2;
                }

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
        return rep->n_supported > 0 && rep->host_ok ? 0 : 1;
}
