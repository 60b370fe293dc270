/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

/* libvirt's event loop implemented on sd-event (virEventRegisterImpl), so that libvirt's
 * keepalive, close callbacks and domain events run in the daemon's single sd-event loop.
 *
 * Call virt_event_register() once, on the thread that runs `e`, before any libvirt
 * connection is opened. libvirt's event implementation is process-wide and cannot be
 * unregistered, so the registration (and a reference on `e`) lives until the process
 * exits: this is the one piece of process-global state in src/virt/, forced by libvirt's
 * API. The loop must keep running for libvirt events to be delivered.
 *
 * Thread safety: libvirt may add, update and remove handles and timers from any thread
 * (a worker thread in a libvirt call does). Changes made on the loop thread apply at
 * once; changes from other threads are queued and the loop is woken through an eventfd.
 * libvirt's callbacks and free callbacks always run on the loop thread; free callbacks
 * run in a later loop iteration than the removal, as libvirt requires.
 *
 * Returns 0, -EBUSY if already registered with another sd_event, or a negative errno. */
int virt_event_register(sd_event *e);

/* Number of live handles and timers (for tests and debugging). */
unsigned virt_event_count(void);
