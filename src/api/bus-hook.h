/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon/manager.h"

#include "shared/names.h"

/* Prepare(s vm), Release(s vm), Migrate(s vm, s domain_xml) → s: root only. */
int bus_hook_add(Manager *m);
