/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Slow work (sriov_numvfs writes, libvirt attach/detach, netlink) runs in a worker thread
 * so that the event loop keeps answering other callers. `work` runs in the thread and must
 * touch only its own `data`; `done` runs afterwards on the loop thread and may change the
 * Manager. The number of operations at once is capped (settings.max_concurrent_ops):
 * operation_start returns -AN_ERROR_BUSY past it. */

typedef struct Manager Manager;

typedef void (*OperationWork)(void *data);
typedef void (*OperationDone)(Manager *m, void *data);
typedef void (*OperationFree)(void *data);

int operation_start(Manager *m, const char *name, OperationWork work, OperationDone done, void *data,
                    OperationFree free_data);
/* Waits for every running operation and runs its `done` (shutdown). */
void operation_drain(Manager *m);
