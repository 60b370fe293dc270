/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's PF event sources (backend.h monitor_open), all on the daemon's sd-event loop:
 *
 *   - rtnetlink: a NETLINK_ROUTE socket in the multicast group RTNLGRP_LINK (libnl core;
 *     messages parsed with a policy): every RTM_NEWLINK with IFLA_IFNAME, IFLA_CARRIER,
 *     IFLA_OPERSTATE, IFLA_CARRIER_CHANGES and IFF_UP. A receive overrun (ENOBUFS) makes the
 *     monitor read every watched PF's link from sysfs again.
 *   - udev: sd-device's monitor of the "pci" subsystem (udevd's processed events: bind,
 *     unbind, change with ERROR_EVENT=...). Without udevd nothing arrives, which the kernel
 *     sources above do not depend on.
 *   - devlink: generic netlink family "devlink" (resolved by hand through nlctrl, libnl core
 *     only), multicast group "config": DEVLINK_CMD_HEALTH_REPORTER_RECOVER notifications,
 *     and one DEVLINK_CMD_HEALTH_REPORTER_GET dump at start for the reporters' current
 *     state. A kernel or driver without devlink health (igb has no devlink at all) leaves
 *     this source empty or out: that is noted, never an error.
 *
 * Ownership: every nl_sock and sd_device_monitor here belongs to the KernelMonitor; every
 * nl_msg is freed by the function that made it. libnl's -NLE_* never leave this file. */

#include <linux/devlink.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <systemd/sd-device.h>

#include "kernel.h"
#include "monitor-source.h"
#include "shared/log.h"
#include "shared/macro.h"

#define MON_RCVBUF (4 * 1024 * 1024)
/* the kernel's enum devlink_health_reporter_state (not in every uapi header) */
#define REPORTER_STATE_HEALTHY 0
#define REPORTER_STATE_ERROR 1

typedef struct KernelMonitor {
        PfMonitor *mon;
        struct nl_sock *rtnl;
        sd_event_source *rtnl_source;
        sd_device_monitor *udev;
        struct nl_sock *devlink;
        sd_event_source *devlink_source;
        int devlink_family;
} KernelMonitor;

int vf_netlink_nle_to_errno(int nle);

static int nle(int r) {
        return -vf_netlink_nle_to_errno(r < 0 ? -r : r);
}

static void nl_sock_freep(struct nl_sock **s) {
        if (*s)
                nl_socket_free(*s);
}

/* ---- rtnetlink -------------------------------------------------------------------------- */

static int on_rtnl_msg(struct nl_msg *msg, void *arg) {
        static struct nla_policy policy[IFLA_MAX + 1] = {
                [IFLA_IFNAME] = { .type = NLA_STRING, .maxlen = IFNAMSIZ },
                [IFLA_CARRIER] = { .type = NLA_U8 },
                [IFLA_OPERSTATE] = { .type = NLA_U8 },
                [IFLA_CARRIER_CHANGES] = { .type = NLA_U32 },
        };
        KernelMonitor *k = arg;
        struct nlmsghdr *h = nlmsg_hdr(msg);
        struct nlattr *tb[IFLA_MAX + 1];
        char name[IFNAMSIZ];

        if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
                return NL_OK;
        const struct ifinfomsg *ifi = nlmsg_data(h);
        if (nlmsg_parse(h, sizeof *ifi, tb, IFLA_MAX, policy) < 0 || !tb[IFLA_IFNAME])
                return NL_OK;
        nla_strlcpy(name, tb[IFLA_IFNAME], sizeof name);
        MonitorLinkMsg m = { .ifindex = ifi->ifi_index, .ifname = name, .link = PF_LINK_FACTS_UNKNOWN };
        m.link.admin_up = (ifi->ifi_flags & IFF_UP) ? 1 : 0;
        /* as sysfs: the carrier of a netdev that is administratively down is unknown */
        if (tb[IFLA_CARRIER] && m.link.admin_up)
                m.link.carrier = nla_get_u8(tb[IFLA_CARRIER]) ? 1 : 0;
        if (tb[IFLA_OPERSTATE]) {
                uint8_t o = nla_get_u8(tb[IFLA_OPERSTATE]);
                m.link.operstate = o < _PF_OPER_MAX ? (PfOperState) o : PF_OPER_UNKNOWN;
        }
        if (tb[IFLA_CARRIER_CHANGES])
                m.link.carrier_changes = nla_get_u32(tb[IFLA_CARRIER_CHANGES]);
        pf_monitor_feed_link(k->mon, &m);
        return NL_OK;
}

static int on_rtnl(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        KernelMonitor *k = userdata;
        for (unsigned i = 0; i < 1024; i++) {
                int r = nl_recvmsgs_default(k->rtnl);
                if (r == -NLE_AGAIN || r >= 0) {
                        if (r == -NLE_AGAIN)
                                break;
                        continue;
                }
                if (r == -NLE_NOMEM || r == -NLE_MSG_OVERFLOW) { /* ENOBUFS: notifications were lost */
                        log_debug("rtnetlink: notifications lost (%s); reading the links again.", nl_geterror(r));
                        pf_monitor_resync(k->mon);
                        continue;
                }
                log_debug("rtnetlink: %s", nl_geterror(r));
                break;
        }
        return 0;
}

static int open_rtnl(KernelMonitor *k) {
        _cleanup_(nl_sock_freep) struct nl_sock *s = nl_socket_alloc();
        int r;

        if (!s)
                return -ENOMEM;
        nl_socket_disable_seq_check(s);
        nl_socket_enable_msg_peek(s); /* a PF's RTM_NEWLINK carries every VF: often over a page */
        r = nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, on_rtnl_msg, k);
        if (r >= 0)
                r = nl_connect(s, NETLINK_ROUTE);
        if (r >= 0)
                r = nl_socket_add_membership(s, RTNLGRP_LINK);
        if (r >= 0)
                r = nl_socket_set_nonblocking(s);
        if (r < 0)
                return nle(r);
        (void) nl_socket_set_buffer_size(s, MON_RCVBUF, 0);
        r = sd_event_add_io(pf_monitor_get_event(k->mon), &k->rtnl_source, nl_socket_get_fd(s), EPOLLIN, on_rtnl, k);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(k->rtnl_source, "health-rtnetlink");
        k->rtnl = TAKE_PTR(s);
        return 0;
}

/* ---- udev --------------------------------------------------------------------------------- */

static const char *action_name(sd_device_action_t a) {
        switch (a) {
        case SD_DEVICE_ADD: return "add";
        case SD_DEVICE_REMOVE: return "remove";
        case SD_DEVICE_CHANGE: return "change";
        case SD_DEVICE_BIND: return "bind";
        case SD_DEVICE_UNBIND: return "unbind";
        default: return NULL;
        }
}

static int on_uevent(sd_device_monitor *m, sd_device *d, void *userdata) {
        KernelMonitor *k = userdata;
        sd_device_action_t a;
        MonitorUevent u = {};

        if (sd_device_get_action(d, &a) < 0 || !(u.action = action_name(a)) || sd_device_get_sysname(d, &u.sysname) < 0)
                return 0;
        (void) sd_device_get_driver(d, &u.driver);
        (void) sd_device_get_property_value(d, "ERROR_EVENT", &u.error_event);
        pf_monitor_feed_uevent(k->mon, &u);
        return 0;
}

static int open_udev(KernelMonitor *k) {
        sd_device_monitor *m = NULL;
        int r = sd_device_monitor_new(&m);
        if (r >= 0) {
                (void) sd_device_monitor_set_receive_buffer_size(m, MON_RCVBUF);
                r = sd_device_monitor_filter_add_match_subsystem_devtype(m, "pci", NULL);
        }
        if (r >= 0)
                r = sd_device_monitor_attach_event(m, pf_monitor_get_event(k->mon));
        if (r >= 0)
                (void) sd_device_monitor_set_description(m, "health-udev");
        if (r >= 0)
                r = sd_device_monitor_start(m, on_uevent, k);
        if (r < 0) {
                sd_device_monitor_unref(m);
                return r;
        }
        k->udev = m;
        return 0;
}

/* ---- devlink -------------------------------------------------------------------------------- */

typedef struct FamilyInfo {
        int id;
        int config_group;
} FamilyInfo;

static int on_family(struct nl_msg *msg, void *arg) {
        static struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
                [CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
                [CTRL_ATTR_MCAST_GROUPS] = { .type = NLA_NESTED },
        };
        static struct nla_policy gpolicy[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
                [CTRL_ATTR_MCAST_GRP_NAME] = { .type = NLA_STRING },
                [CTRL_ATTR_MCAST_GRP_ID] = { .type = NLA_U32 },
        };
        FamilyInfo *f = arg;
        struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
        int rem;

        if (nlmsg_parse(nlmsg_hdr(msg), GENL_HDRLEN, tb, CTRL_ATTR_MAX, policy) < 0)
                return NL_SKIP;
        if (tb[CTRL_ATTR_FAMILY_ID])
                f->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
        if (tb[CTRL_ATTR_MCAST_GROUPS])
                nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
                        struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];
                        if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, g, gpolicy) < 0 ||
                            !gb[CTRL_ATTR_MCAST_GRP_NAME] || !gb[CTRL_ATTR_MCAST_GRP_ID])
                                continue;
                        if (streq(nla_get_string(gb[CTRL_ATTR_MCAST_GRP_NAME]), DEVLINK_GENL_MCGRP_CONFIG_NAME))
                                f->config_group = (int) nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
                }
        return NL_OK;
}

static int genl_request(struct nl_sock *s, int family, uint8_t cmd, uint8_t version, int flags, struct nl_msg **ret) {
        struct nl_msg *msg = nlmsg_alloc();
        if (!msg)
                return -ENOMEM;
        struct nlmsghdr *h = nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, GENL_HDRLEN, flags);
        if (!h) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        struct genlmsghdr *g = nlmsg_data(h);
        g->cmd = cmd;
        g->version = version;
        *ret = msg;
        return 0;
}

static int resolve_devlink(struct nl_sock *s, FamilyInfo *f) {
        struct nl_msg *msg = NULL;
        int r = genl_request(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0, &msg);
        if (r < 0)
                return r;
        r = nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, DEVLINK_GENL_NAME);
        if (r >= 0)
                r = nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, on_family, f);
        if (r < 0) {
                nlmsg_free(msg);
                return nle(r);
        }
        r = nl_send_sync(s, msg); /* frees msg; the reply goes to on_family before the ACK */
        return r < 0 ? nle(r) : 0;
}

static int on_devlink_msg(struct nl_msg *msg, void *arg) {
        static struct nla_policy policy[DEVLINK_ATTR_MAX + 1] = {
                [DEVLINK_ATTR_BUS_NAME] = { .type = NLA_STRING },
                [DEVLINK_ATTR_DEV_NAME] = { .type = NLA_STRING },
                [DEVLINK_ATTR_HEALTH_REPORTER] = { .type = NLA_NESTED },
        };
        static struct nla_policy rpolicy[DEVLINK_ATTR_MAX + 1] = {
                [DEVLINK_ATTR_HEALTH_REPORTER_NAME] = { .type = NLA_STRING },
                [DEVLINK_ATTR_HEALTH_REPORTER_STATE] = { .type = NLA_U8 },
                [DEVLINK_ATTR_HEALTH_REPORTER_ERR_COUNT] = { .type = NLA_U64 },
                [DEVLINK_ATTR_HEALTH_REPORTER_RECOVER_COUNT] = { .type = NLA_U64 },
        };
        KernelMonitor *k = arg;
        struct nlmsghdr *h = nlmsg_hdr(msg);
        struct nlattr *tb[DEVLINK_ATTR_MAX + 1], *rb[DEVLINK_ATTR_MAX + 1];
        PfReporterFacts r = {};

        if (!nlmsg_valid_hdr(h, GENL_HDRLEN))
                return NL_SKIP;
        const struct genlmsghdr *g = nlmsg_data(h);
        if (g->cmd != DEVLINK_CMD_HEALTH_REPORTER_RECOVER && g->cmd != DEVLINK_CMD_HEALTH_REPORTER_GET)
                return NL_OK;
        if (nlmsg_parse(h, GENL_HDRLEN, tb, DEVLINK_ATTR_MAX, policy) < 0 || !tb[DEVLINK_ATTR_BUS_NAME] ||
            !tb[DEVLINK_ATTR_DEV_NAME] || !tb[DEVLINK_ATTR_HEALTH_REPORTER] ||
            nla_parse_nested(rb, DEVLINK_ATTR_MAX, tb[DEVLINK_ATTR_HEALTH_REPORTER], rpolicy) < 0 ||
            !rb[DEVLINK_ATTR_HEALTH_REPORTER_NAME])
                return NL_OK;
        nla_strlcpy(r.name, rb[DEVLINK_ATTR_HEALTH_REPORTER_NAME], sizeof r.name);
        if (rb[DEVLINK_ATTR_HEALTH_REPORTER_STATE])
                r.error = nla_get_u8(rb[DEVLINK_ATTR_HEALTH_REPORTER_STATE]) == REPORTER_STATE_ERROR;
        if (rb[DEVLINK_ATTR_HEALTH_REPORTER_ERR_COUNT])
                r.error_count = nla_get_u64(rb[DEVLINK_ATTR_HEALTH_REPORTER_ERR_COUNT]);
        if (rb[DEVLINK_ATTR_HEALTH_REPORTER_RECOVER_COUNT])
                r.recover_count = nla_get_u64(rb[DEVLINK_ATTR_HEALTH_REPORTER_RECOVER_COUNT]);
        pf_monitor_feed_reporter(k->mon, nla_get_string(tb[DEVLINK_ATTR_BUS_NAME]),
                                 nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]), &r);
        return NL_OK;
}

static int on_devlink(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        KernelMonitor *k = userdata;
        for (unsigned i = 0; i < 1024; i++) {
                int r = nl_recvmsgs_default(k->devlink);
                if (r == -NLE_AGAIN)
                        break;
                if (r < 0) {
                        log_debug("devlink: %s", nl_geterror(r));
                        if (r != -NLE_NOMEM)
                                break;
                }
        }
        return 0;
}

/* The reporters as they are now: one dump, answered before the loop runs. */
static void dump_reporters(KernelMonitor *k) {
        _cleanup_(nl_sock_freep) struct nl_sock *s = nl_socket_alloc();
        struct nl_msg *msg = NULL;
        int r;

        if (!s || nl_connect(s, NETLINK_GENERIC) < 0)
                return;
        r = nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, on_devlink_msg, k);
        if (r < 0 || genl_request(s, k->devlink_family, DEVLINK_CMD_HEALTH_REPORTER_GET, DEVLINK_GENL_VERSION, NLM_F_DUMP,
                                  &msg) < 0)
                return;
        r = nl_send_auto(s, msg);
        nlmsg_free(msg);
        if (r >= 0)
                r = nl_recvmsgs_default(s);
        if (r < 0)
                log_debug("devlink: dump of the health reporters failed: %s", nl_geterror(r));
}

static int open_devlink(KernelMonitor *k, const char **ret_why) {
        _cleanup_(nl_sock_freep) struct nl_sock *s = nl_socket_alloc();
        FamilyInfo f = { .id = -1, .config_group = -1 };
        int r;

        if (!s)
                return -ENOMEM;
        r = nl_connect(s, NETLINK_GENERIC);
        if (r < 0)
                return nle(r);
        r = resolve_devlink(s, &f);
        if (r < 0 || f.id < 0) {
                *ret_why = "no devlink family in this kernel";
                return r < 0 ? r : -ENOENT;
        }
        if (f.config_group < 0) {
                *ret_why = "the devlink family has no \"config\" group";
                return -ENOENT;
        }
        k->devlink_family = f.id;
        nl_socket_disable_seq_check(s);
        r = nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, on_devlink_msg, k);
        if (r >= 0)
                r = nl_socket_add_membership(s, f.config_group);
        if (r >= 0)
                r = nl_socket_set_nonblocking(s);
        if (r < 0) {
                *ret_why = "cannot join its \"config\" group";
                return nle(r);
        }
        r = sd_event_add_io(pf_monitor_get_event(k->mon), &k->devlink_source, nl_socket_get_fd(s), EPOLLIN, on_devlink,
                            k);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(k->devlink_source, "health-devlink");
        k->devlink = TAKE_PTR(s);
        dump_reporters(k);
        return 0;
}

/* ---- the table's operations ------------------------------------------------------------------ */

void pf_kernel_monitor_close(void *handle) {
        KernelMonitor *k = handle;
        if (!k)
                return;
        sd_event_source_disable_unref(k->rtnl_source);
        sd_event_source_disable_unref(k->devlink_source);
        if (k->rtnl)
                nl_socket_free(k->rtnl);
        if (k->devlink)
                nl_socket_free(k->devlink);
        sd_device_monitor_unref(k->udev);
        free(k);
}

int pf_kernel_monitor_open(PfMonitor *mon, void **ret_handle) {
        KernelMonitor *k = calloc(1, sizeof *k);
        const char *why = NULL;
        int n_ok = 0, r;

        if (!k)
                return -ENOMEM;
        k->mon = mon;
        r = open_rtnl(k);
        pf_monitor_note_source(mon, "rtnetlink", r, NULL);
        n_ok += r >= 0;
        r = open_udev(k);
        pf_monitor_note_source(mon, "udev", r, NULL);
        n_ok += r >= 0;
        r = open_devlink(k, &why);
        if (r == -ENOMEM) {
                pf_kernel_monitor_close(k);
                return r;
        }
        pf_monitor_note_source(mon, "devlink", r, why);
        n_ok += r >= 0;
        if (n_ok == 0) {
                pf_kernel_monitor_close(k);
                return -EOPNOTSUPP;
        }
        *ret_handle = k;
        return 0;
}
