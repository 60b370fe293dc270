/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon/manager.h"

#include "shared/names.h"

/* Adds the Manager object with its vtable to m->bus. */
int bus_manager_add(Manager *m);
