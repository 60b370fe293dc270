/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulated host as a backend of src/sriov (sriov/backend.h), for `accelnetd --simulate`
 * and the tests. It works on a root in the kernel layout (fakeroot.h builds one):
 *
 *   - VF policy: the settings of each PF's VFs live in ROOT/run/accelnet-sim/vf/<pf>.json
 *     (format in vfsim.c), the VF count is the fake sysfs' sriov_numvfs, and the PF driver's
 *     behaviour is mimicked (igb: link state -EOPNOTSUPP, min_tx_rate > 0 -EINVAL). Safe for
 *     any number of handles in any threads and processes at once.
 *   - sriov_numvfs: the simulated kernel creates or removes the VF functions
 *     (fakeroot_set_vfs), with the kernel's errors: -ENOENT when no PF driver is bound,
 *     -ERANGE above TotalVFs. A write takes as long as ROOT/run/accelnet-sim/numvfs-delay-ms
 *     says (milliseconds, 0-60000; absent = at once), for tests that need a write in flight.
 *   - VF policy changes take as long as ROOT/run/accelnet-sim/vf-set-delay-ms says (each call
 *     that sets attributes of one PF's VFs: the change is made and visible at once, the call
 *     returns that much later; 0-60000 ms, absent = at once), for tests that need a VF
 *     operation in flight (kill -9 in the middle of a drain) or its steps apart in time.
 *   - VF policy changes can be held by a test, one step at a time: while
 *     ROOT/run/accelnet-sim/vf-set-hold exists, each such call, once its change is made and
 *     visible, waits until the file holds a count above 0 and takes one from it (or the file
 *     is gone; 60 s at most). Writing 0 holds every call; writing 1 lets the held one (and
 *     only it) return, so that a test sees each step of an operation with the next not begun.
 */

#include "sriov/backend.h"

#define SIM_NUMVFS_DELAY_FILE "run/accelnet-sim/numvfs-delay-ms"
#define SIM_NUMVFS_DELAY_MAX_MS 60000u
#define SIM_VF_SET_DELAY_FILE "run/accelnet-sim/vf-set-delay-ms"
#define SIM_VF_SET_HOLD_FILE "run/accelnet-sim/vf-set-hold"

/*   - PF health events: a datagram socket ROOT/run/accelnet-sim/events.sock takes one JSON
 *     event per datagram (simevent.h documents the protocol), changes the fake sysfs as the
 *     kernel would and hands the PF monitor the notification the kernel would send. */

const SriovBackend *sim_backend(void);
