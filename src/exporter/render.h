/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "expfmt.h"
#include "snapshot.h"

/* Every metric of a snapshot, in a fixed order (render.c lists them). `version` is the
 * exporter's own. */
void render_metrics(const Snapshot *s, const char *version, Expo *e);
