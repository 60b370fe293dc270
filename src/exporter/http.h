/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The HTTP side: libmicrohttpd in external-epoll mode on the exporter's sd-event loop (one
 * thread: a scrape is answered before the next request is read). GET or HEAD /metrics
 * answers the scrape's text, / a page pointing at it; anything else 404, other methods 405.
 * At most HTTP_MAX_CONNECTIONS at once, idle ones closed after HTTP_IDLE_TIMEOUT_SEC. */

#include <systemd/sd-event.h>

#include "shared/macro.h"

#define HTTP_MAX_CONNECTIONS 32u
#define HTTP_IDLE_TIMEOUT_SEC 30u
#define HTTP_DEFAULT_LISTEN "127.0.0.1:9870"

/* The body of /metrics (owned by the caller afterwards) or a negative errno (→ 500). */
typedef int (*HttpScrape)(void *userdata, char **ret_body, size_t *ret_len);

typedef struct Http Http;

/* Serves on `fd`, a listening stream socket (from systemd or http_listen); takes it. */
int http_new(sd_event *event, int fd, HttpScrape scrape, void *userdata, Http **ret);
Http *http_free(Http *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Http *, http_free);

/* A listening TCP socket on "HOST:PORT" ("127.0.0.1:9870", "[::1]:9870", ":9870" for every
 * address, IPv6 and IPv4); numeric hosts only. -EINVAL for a malformed address. */
int http_listen(const char *address, int *ret_fd);
