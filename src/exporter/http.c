/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "expfmt.h"
#include "http.h"
#include "shared/log.h"

struct Http {
        struct MHD_Daemon *mhd;
        sd_event_source *io, *timer;
        HttpScrape scrape;
        void *userdata;
};

static const char index_page[] =
        "<html><head><title>accelnet exporter</title></head><body>\n"
        "<h1>accelnet exporter</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, void *body, size_t len,
                             enum MHD_ResponseMemoryMode mode, const char *allow) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
        enum MHD_Result ret;

        if (!resp) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO;
        }
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (allow)
                (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        static int first;
        Http *h = cls;

        /* First call: headers only. A request body (nobody sends one here) is ignored. */
        if (!*con_cls) {
                *con_cls = &first;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (!streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_HEAD))
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                             (void *) "Only GET and HEAD.\n", 19, MHD_RESPMEM_PERSISTENT, "GET, HEAD");
        if (streq(url, "/"))
                return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", (void *) index_page, sizeof index_page - 1,
                             MHD_RESPMEM_PERSISTENT, NULL);
        if (!streq(url, "/metrics"))
                return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", (void *) "Not found: try /metrics\n",
                             24, MHD_RESPMEM_PERSISTENT, NULL);

        char *body = NULL;
        size_t len = 0;
        int r = h->scrape(h->userdata, &body, &len);
        if (r < 0) {
                log_warning_errno(r, "Scrape failed: %m");
                return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                             (void *) "The scrape failed.\n", 19, MHD_RESPMEM_PERSISTENT, NULL);
        }
        return reply(conn, MHD_HTTP_OK, EXPO_CONTENT_TYPE, body, len, MHD_RESPMEM_MUST_FREE, NULL);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char buf[512];
        vsnprintf(buf, sizeof buf, fmt, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

/* MHD's own timeouts: after each run, the timer is set to what it asks for. */
static void http_rearm(Http *h) {
        MHD_UNSIGNED_LONG_LONG ms;
        if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
                (void) sd_event_source_set_time_relative(h->timer, ms * 1000ULL);
                (void) sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Http *h = userdata;
        (void) MHD_run(h->mhd);
        http_rearm(h);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return on_io(NULL, -1, 0, userdata);
}

int http_new(sd_event *event, int fd, HttpScrape scrape, void *userdata, Http **ret) {
        _cleanup_(http_freep) Http *h = NULL;
        const union MHD_DaemonInfo *info;
        int r;

        h = calloc(1, sizeof *h);
        if (!h) {
                close(fd);
                return -ENOMEM;
        }
        h->scrape = scrape;
        h->userdata = userdata;
        /* The logger first: MHD says so otherwise, on stderr. */
        h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) HTTP_MAX_CONNECTIONS,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_IDLE_TIMEOUT_SEC, MHD_OPTION_END);
        if (!h->mhd) {
                close(fd);
                return -EIO;
        }
        info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return -EIO;
        r = sd_event_add_io(event, &h->io, info->epoll_fd, EPOLLIN, on_io, h);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(h->io, "http");
        r = sd_event_add_time_relative(event, &h->timer, CLOCK_MONOTONIC, 0, 0, on_timer, h);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(h->timer, "http-timeout");
        http_rearm(h);
        *ret = TAKE_PTR(h);
        return 0;
}

Http *http_free(Http *h) {
        if (!h)
                return NULL;
        sd_event_source_disable_unref(h->io);
        sd_event_source_disable_unref(h->timer);
        if (h->mhd)
                MHD_stop_daemon(h->mhd); /* closes the listening socket */
        return mfree(h);
}

int http_listen(const char *address, int *ret_fd) {
        _cleanup_free_ char *host = NULL;
        const char *colon = address ? strrchr(address, ':') : NULL;
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE },
                        *ai = NULL;
        int fd, one = 1, zero = 0, r;

        if (!colon || !colon[1])
                return -EINVAL;
        host = strndup(address, (size_t) (colon - address));
        if (!host)
                return -ENOMEM;
        if (host[0] == '[') {
                size_t n = strlen(host);
                if (n < 3 || host[n - 1] != ']')
                        return -EINVAL;
                memmove(host, host + 1, n - 2);
                host[n - 2] = 0;
                hints.ai_family = AF_INET6;
        } else if (strchr(host, ':'))
                return -EINVAL; /* an IPv6 address needs its brackets */
        char *end;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (*end || port == 0 || port > 65535)
                return -EINVAL;
        /* "" is every address: IPv6's, and IPv4's through it. */
        if (getaddrinfo(host[0] ? host : "::", colon + 1, &hints, &ai) != 0 || !ai)
                return -EINVAL;
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                r = -errno;
                freeaddrinfo(ai);
                return r;
        }
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6 && !host[0])
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                close(fd);
                freeaddrinfo(ai);
                return r;
        }
        freeaddrinfo(ai);
        *ret_fd = fd;
        return 0;
}
