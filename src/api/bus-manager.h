/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon/manager.h"

#define BUS_NAME "org.accelnet1"
#define BUS_PATH "/org/accelnet1"
#define BUS_INTERFACE "org.accelnet1.Manager"

/* Adds the Manager object with its vtable to m->bus. */
int bus_manager_add(Manager *m);
