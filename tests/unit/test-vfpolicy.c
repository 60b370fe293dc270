/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VF policy: the backend-independent helpers, the kernel backend's messages (always), and
 * the kernel backend against lo/veth where netlink is reachable. The simulated backend is
 * tested in test-vfsim.c, the seam itself in test-backend.c. */

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/wait.h>

#include "sriov/backend.h"
#include "sriov/vfpolicy-internal.h"
#include "sriov/vfpolicy.h"
#include "testlib.h"

/* ---- pure helpers ------------------------------------------------------------------------ */

TEST(string_tables) {
        for (VfAttr a = 0; a < _VF_ATTR_MAX; a++) {
                ASSERT(vf_attr_to_string(a));
                CHECK_INT(vf_attr_from_string(vf_attr_to_string(a)), a);
        }
        CHECK_STR(vf_attr_to_string(VF_ATTR_MAC), "mac");
        CHECK_STR(vf_attr_to_string(VF_ATTR_RATE), "rate");
        CHECK(vf_attr_to_string(_VF_ATTR_MAX) == NULL);
        CHECK_INT(vf_attr_from_string("state"), -EINVAL);
        CHECK_INT(vf_attr_from_string(NULL), -EINVAL);
        for (VfLinkState s = 0; s < _VF_LINK_STATE_MAX; s++)
                CHECK_INT(vf_link_state_from_string(vf_link_state_to_string(s)), s);
        CHECK_INT(vf_link_state_from_string("Disable"), VF_LINK_STATE_DISABLE);
        CHECK_INT(vf_link_state_from_string("up"), -EINVAL);
}

TEST(mac_and_names) {
        uint8_t m[6];
        char buf[VF_MAC_STRLEN];

        CHECK_INT(vf_mac_parse("52:54:00:AB:cd:0F", m), 0);
        CHECK_STR(vf_mac_format(m, buf), "52:54:00:ab:cd:0f");
        CHECK_INT(vf_mac_parse("52:54:00:ab:cd", m), -EINVAL);
        CHECK_INT(vf_mac_parse("52:54:00:ab:cd:0g", m), -EINVAL);
        CHECK_INT(vf_mac_parse("52-54-00-ab-cd-0f", m), -EINVAL);
        CHECK_INT(vf_mac_parse("52:54:00:ab:cd:0f:", m), -EINVAL);
        CHECK_INT(vf_mac_parse("", m), -EINVAL);
        CHECK_INT(vf_mac_parse(NULL, m), -EINVAL);
        CHECK(vf_ifname_valid("ens1f0"));
        CHECK(vf_ifname_valid("lo"));
        CHECK(!vf_ifname_valid(""));
        CHECK(!vf_ifname_valid("a23456789012345x")); /* 16 bytes */
        CHECK(!vf_ifname_valid("../etc"));
        CHECK(!vf_ifname_valid(".."));
        CHECK(!vf_ifname_valid("ens 1"));
        CHECK(!vf_ifname_valid(NULL));
}

TEST(nle_mapping) {
        /* libnl's codes are ABI: NLE_OPNOTSUPP 10, NLE_NODEV 31, NLE_PERM 28, NLE_RANGE 8. */
        CHECK_INT(vf_netlink_nle_to_errno(0), 0);
        CHECK_INT(vf_netlink_nle_to_errno(-10), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_nle_to_errno(-31), -ENODEV);
        CHECK_INT(vf_netlink_nle_to_errno(-28), -EPERM);
        CHECK_INT(vf_netlink_nle_to_errno(-8), -ERANGE);
        CHECK_INT(vf_netlink_nle_to_errno(-9999), -EIO);
        for (int i = 1; i <= 40; i++) {
                int e = vf_netlink_nle_to_errno(-i);
                CHECK(e < 0 && e > -4096);
        }
}

/* ---- kernel backend: messages ------------------------------------------------------------------ */

/* Walks the attributes of `data`; returns the only one of `type`, NULL if absent or repeated. */
static const struct rtattr *only_attr(const void *data, size_t len, unsigned short type, unsigned *ret_count) {
        const struct rtattr *found = NULL;
        unsigned count = 0, total = 0;
        int rem = (int) len;
        for (const struct rtattr *a = data; RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
                total++;
                if ((a->rta_type & NLA_TYPE_MASK) == type) {
                        found = a;
                        count++;
                }
        }
        if (ret_count)
                *ret_count = total;
        return count == 1 ? found : NULL;
}

TEST(kernel_setlink_messages) {
        static const struct { VfSetKind kind; unsigned short attr; size_t size; } kinds[] = {
                { VF_SET_MAC, IFLA_VF_MAC, sizeof(struct ifla_vf_mac) },
                { VF_SET_VLAN, IFLA_VF_VLAN, sizeof(struct ifla_vf_vlan) },
                { VF_SET_SPOOFCHK, IFLA_VF_SPOOFCHK, sizeof(struct ifla_vf_spoofchk) },
                { VF_SET_TRUST, IFLA_VF_TRUST, sizeof(struct ifla_vf_trust) },
                { VF_SET_RATE, IFLA_VF_RATE, sizeof(struct ifla_vf_rate) },
                { VF_SET_LINK_STATE, IFLA_VF_LINK_STATE, sizeof(struct ifla_vf_link_state) },
        };

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                VfSetRequest req = { .kind = kinds[k].kind, .vf = 5, .mac = { 0x52, 0x54, 0, 1, 2, 3 },
                                     .vlan = 42, .qos = 3, .on = true, .min_tx_rate = 10, .max_tx_rate = 900,
                                     .link_state = VF_LINK_STATE_DISABLE };
                _cleanup_free_ void *buf = NULL;
                size_t size = 0;
                unsigned total;

                CHECK_INT(vf_netlink_build_setlink("ens1f0", &req, &buf, &size), 0);
                ASSERT(buf && size >= NLMSG_LENGTH(sizeof(struct ifinfomsg)));
                const struct nlmsghdr *h = buf;
                CHECK_INT(h->nlmsg_len, size);
                CHECK_INT(h->nlmsg_type, RTM_SETLINK);
                CHECK_INT(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
                const struct ifinfomsg *ifi = NLMSG_DATA(h);
                CHECK_INT(ifi->ifi_index, 0);
                const void *attrs = (const char *) ifi + NLMSG_ALIGN(sizeof *ifi);
                size_t alen = h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof *ifi));
                const struct rtattr *name = only_attr(attrs, alen, IFLA_IFNAME, &total);
                ASSERT(name);
                CHECK_STR((const char *) RTA_DATA(name), "ens1f0");
                CHECK_INT(total, 2); /* IFLA_IFNAME and IFLA_VFINFO_LIST, nothing else */
                const struct rtattr *list = only_attr(attrs, alen, IFLA_VFINFO_LIST, NULL);
                ASSERT(list);
                const struct rtattr *info = only_attr(RTA_DATA(list), RTA_PAYLOAD(list), IFLA_VF_INFO, &total);
                ASSERT(info);
                CHECK_INT(total, 1);
                const struct rtattr *a = only_attr(RTA_DATA(info), RTA_PAYLOAD(info), kinds[k].attr, &total);
                ASSERT(a);
                CHECK_INT(total, 1); /* exactly one attribute per request */
                CHECK_INT(RTA_PAYLOAD(a), kinds[k].size);
                const void *p = RTA_DATA(a);
                switch (kinds[k].kind) {
                case VF_SET_MAC: {
                        const struct ifla_vf_mac *m = p;
                        CHECK_INT(m->vf, 5);
                        CHECK(memcmp(m->mac, req.mac, 6) == 0);
                        break;
                }
                case VF_SET_VLAN: {
                        const struct ifla_vf_vlan *m = p;
                        CHECK_INT(m->vf, 5);
                        CHECK_INT(m->vlan, 42);
                        CHECK_INT(m->qos, 3);
                        break;
                }
                case VF_SET_SPOOFCHK:
                case VF_SET_TRUST: {
                        const struct ifla_vf_spoofchk *m = p; /* same layout as ifla_vf_trust */
                        CHECK_INT(m->vf, 5);
                        CHECK_INT(m->setting, 1);
                        break;
                }
                case VF_SET_RATE: {
                        const struct ifla_vf_rate *m = p;
                        CHECK_INT(m->vf, 5);
                        CHECK_INT(m->min_tx_rate, 10);
                        CHECK_INT(m->max_tx_rate, 900);
                        break;
                }
                case VF_SET_LINK_STATE: {
                        const struct ifla_vf_link_state *m = p;
                        CHECK_INT(m->vf, 5);
                        CHECK_INT(m->link_state, IFLA_VF_LINK_STATE_DISABLE);
                        break;
                }
                default:
                        CHECK(false);
                }
        }

        VfSetRequest off = { .kind = VF_SET_SPOOFCHK, .vf = 0, .on = false };
        _cleanup_free_ void *buf = NULL;
        size_t size;
        CHECK_INT(vf_netlink_build_setlink("../x", &off, &buf, &size), -EINVAL);
        CHECK_INT(vf_netlink_build_setlink("eth0", &off, &buf, &size), 0);
        ASSERT(buf);
        CHECK(size < 256); /* bounded: a setlink is small */
}

TEST(kernel_getlink_message) {
        _cleanup_free_ void *buf = NULL;
        size_t size = 0;

        CHECK_INT(vf_netlink_build_getlink("ens1f0", 0, &buf, &size), 0);
        ASSERT(buf);
        const struct nlmsghdr *h = buf;
        CHECK_INT(h->nlmsg_type, RTM_GETLINK);
        CHECK(h->nlmsg_flags & NLM_F_REQUEST);
        CHECK(!(h->nlmsg_flags & NLM_F_DUMP));
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        const void *attrs = (const char *) ifi + NLMSG_ALIGN(sizeof *ifi);
        size_t alen = h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof *ifi));
        const struct rtattr *mask = only_attr(attrs, alen, IFLA_EXT_MASK, NULL);
        ASSERT(mask);
        CHECK(*(const uint32_t *) RTA_DATA(mask) & RTEXT_FILTER_VF);
        /* The daemon's listings leave the counters out (firmware calls on some drivers). */
        CHECK(*(const uint32_t *) RTA_DATA(mask) & RTEXT_FILTER_SKIP_STATS);
        const struct rtattr *name = only_attr(attrs, alen, IFLA_IFNAME, NULL);
        ASSERT(name);
        CHECK_STR((const char *) RTA_DATA(name), "ens1f0");

        /* vf_netlink_list_stats asks for them. */
        _cleanup_free_ void *sbuf = NULL;
        CHECK_INT(vf_netlink_build_getlink("ens1f0", VF_LIST_STATS, &sbuf, &size), 0);
        ASSERT(sbuf);
        h = sbuf;
        ifi = NLMSG_DATA(h);
        attrs = (const char *) ifi + NLMSG_ALIGN(sizeof *ifi);
        alen = h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof *ifi));
        mask = only_attr(attrs, alen, IFLA_EXT_MASK, NULL);
        ASSERT(mask);
        CHECK(*(const uint32_t *) RTA_DATA(mask) & RTEXT_FILTER_VF);
        CHECK(!(*(const uint32_t *) RTA_DATA(mask) & RTEXT_FILTER_SKIP_STATS));
}

/* A RTM_NEWLINK as a kernel sends it for a PF with `n` VFs (in reverse order, to check
 * the sorting), with the attributes a 6.1 kernel puts in each IFLA_VF_INFO. */
typedef struct MsgBuf {
        char *buf;
        size_t len, cap;
} MsgBuf;

static void *mb_put(MsgBuf *m, size_t len) {
        size_t need = m->len + NLMSG_ALIGN(len);
        if (need > m->cap) {
                m->cap = need * 2;
                m->buf = realloc(m->buf, m->cap);
                if (!m->buf)
                        abort();
        }
        void *p = m->buf + m->len;
        memset(p, 0, NLMSG_ALIGN(len));
        m->len = need;
        return p;
}

static size_t mb_attr(MsgBuf *m, unsigned short type, const void *data, size_t len) {
        size_t off = m->len;
        struct rtattr *a = mb_put(m, RTA_LENGTH(len));
        a->rta_type = type;
        a->rta_len = (unsigned short) RTA_LENGTH(len);
        if (data)
                memcpy(RTA_DATA(a), data, len);
        return off;
}

static size_t mb_nest(MsgBuf *m, unsigned short type) {
        return mb_attr(m, type | NLA_F_NESTED, NULL, 0);
}

static void mb_nest_end(MsgBuf *m, size_t off) {
        ((struct rtattr *) (m->buf + off))->rta_len = (unsigned short) (m->len - off);
}

static MsgBuf make_newlink(uint32_t n, bool with_list) {
        MsgBuf m = {};
        mb_put(&m, NLMSG_HDRLEN);
        struct ifinfomsg ifi = { .ifi_index = 7 };
        memcpy(mb_put(&m, sizeof ifi), &ifi, sizeof ifi);
        mb_attr(&m, IFLA_IFNAME, "ens1f0", 7);
        mb_attr(&m, IFLA_NUM_VF, &n, sizeof n);
        if (with_list) {
                size_t list = mb_nest(&m, IFLA_VFINFO_LIST);
                for (uint32_t k = n; k-- > 0;) {
                        size_t info = mb_nest(&m, IFLA_VF_INFO);
                        struct ifla_vf_mac mac = { .vf = k, .mac = { 0x52, 0x54, 0, 0, (uint8_t) (k >> 8), (uint8_t) k } };
                        struct ifla_vf_broadcast bc;
                        memset(bc.broadcast, 0xff, sizeof bc.broadcast);
                        struct ifla_vf_vlan vlan = { .vf = k, .vlan = k % 4096, .qos = k % 8 };
                        struct ifla_vf_rate rate = { .vf = k, .min_tx_rate = 0, .max_tx_rate = k * 10 };
                        struct ifla_vf_tx_rate txr = { .vf = k, .rate = k * 10 };
                        struct ifla_vf_spoofchk sc = { .vf = k, .setting = k % 3 == 2 ? UINT32_MAX : k % 2 };
                        struct ifla_vf_trust tr = { .vf = k, .setting = (k + 1) % 2 };
                        struct ifla_vf_link_state ls = { .vf = k, .link_state = k % 3 };
                        struct ifla_vf_rss_query_en rss = { .vf = k, .setting = UINT32_MAX };
                        struct ifla_vf_vlan_info vi = { .vf = k, .vlan = k % 4096, .qos = k % 8, .vlan_proto = htons(0x8100) };
                        mb_attr(&m, IFLA_VF_MAC, &mac, sizeof mac);
                        mb_attr(&m, IFLA_VF_BROADCAST, &bc, sizeof bc);
                        mb_attr(&m, IFLA_VF_VLAN, &vlan, sizeof vlan);
                        mb_attr(&m, IFLA_VF_RATE, &rate, sizeof rate);
                        mb_attr(&m, IFLA_VF_TX_RATE, &txr, sizeof txr);
                        mb_attr(&m, IFLA_VF_SPOOFCHK, &sc, sizeof sc);
                        mb_attr(&m, IFLA_VF_LINK_STATE, &ls, sizeof ls);
                        mb_attr(&m, IFLA_VF_RSS_QUERY_EN, &rss, sizeof rss);
                        mb_attr(&m, IFLA_VF_TRUST, &tr, sizeof tr);
                        size_t vl = mb_nest(&m, IFLA_VF_VLAN_LIST);
                        mb_attr(&m, IFLA_VF_VLAN_INFO, &vi, sizeof vi);
                        mb_nest_end(&m, vl);
                        if (k % 2 == 0) {
                                /* As the kernel sends them: u64 each, the pad attribute among
                                 * them; counters past 2^32 (every 4th VF) */
                                size_t st = mb_nest(&m, IFLA_VF_STATS);
                                for (unsigned short a = IFLA_VF_STATS_RX_PACKETS; a <= IFLA_VF_STATS_TX_DROPPED; a++) {
                                        if (a == IFLA_VF_STATS_PAD)
                                                continue;
                                        uint64_t val = (uint64_t) k * 1000 + a + (k % 4 == 0 ? (1ULL << 40) : 0);
                                        mb_attr(&m, a, &val, sizeof val);
                                }
                                mb_nest_end(&m, st);
                        }
                        mb_nest_end(&m, info);
                }
                mb_nest_end(&m, list);
        }
        struct nlmsghdr *h = (struct nlmsghdr *) m.buf;
        h->nlmsg_len = (uint32_t) m.len;
        h->nlmsg_type = RTM_NEWLINK;
        return m;
}

TEST(kernel_parse_256_vfs) {
        MsgBuf m = make_newlink(256, true);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;

        CHECK(m.len > 32 * 1024); /* the size class the receive buffer must take */
        CHECK_INT(vf_netlink_parse_newlink(m.buf, m.len, &v, &n), 0);
        CHECK_INT(n, 256);
        for (uint32_t k = 0; v && k < n; k++) {
                char mac[VF_MAC_STRLEN];
                snprintf(mac, sizeof mac, "52:54:00:00:%02x:%02x", (k >> 8) & 0xff, k & 0xff);
                CHECK_INT(v[k].index, k);
                CHECK_STR(v[k].mac, mac);
                CHECK_INT(v[k].vlan, k % 4096);
                CHECK_INT(v[k].qos, k % 8);
                CHECK_INT(v[k].max_tx_rate, k * 10);
                CHECK_INT(v[k].min_tx_rate, 0);
                CHECK_INT(v[k].spoofchk, k % 3 == 2 ? -1 : (int) (k % 2));
                CHECK_INT(v[k].trust, (k + 1) % 2);
                CHECK_INT(v[k].link_state, k % 3);
                /* Counters where the message has them (every other VF), u64 wide. */
                CHECK(v[k].has_stats == (k % 2 == 0));
                uint64_t base = k % 2 ? 0 : (uint64_t) k * 1000 + (k % 4 == 0 ? (1ULL << 40) : 0);
                CHECK(v[k].stats.rx_packets == (k % 2 ? 0 : base + IFLA_VF_STATS_RX_PACKETS));
                CHECK(v[k].stats.tx_packets == (k % 2 ? 0 : base + IFLA_VF_STATS_TX_PACKETS));
                CHECK(v[k].stats.rx_bytes == (k % 2 ? 0 : base + IFLA_VF_STATS_RX_BYTES));
                CHECK(v[k].stats.tx_bytes == (k % 2 ? 0 : base + IFLA_VF_STATS_TX_BYTES));
                CHECK(v[k].stats.broadcast == (k % 2 ? 0 : base + IFLA_VF_STATS_BROADCAST));
                CHECK(v[k].stats.multicast == (k % 2 ? 0 : base + IFLA_VF_STATS_MULTICAST));
                CHECK(v[k].stats.rx_dropped == (k % 2 ? 0 : base + IFLA_VF_STATS_RX_DROPPED));
                CHECK(v[k].stats.tx_dropped == (k % 2 ? 0 : base + IFLA_VF_STATS_TX_DROPPED));
        }

        /* A header that claims more than there is: refused. */
        _cleanup_free_ VfInfo *t = NULL;
        size_t tn = 0;
        CHECK_INT(vf_netlink_parse_newlink(m.buf, m.len / 2, &t, &tn), -EBADMSG);
        CHECK(t == NULL);
        /* Cut in the middle of the list: never read past the end (ASan watches), never 256. */
        ((struct nlmsghdr *) m.buf)->nlmsg_len = (uint32_t) (m.len / 2);
        int r = vf_netlink_parse_newlink(m.buf, m.len / 2, &t, &tn);
        CHECK(r < 0 || tn < 256);
        t = mfree(t);
        ((struct nlmsghdr *) m.buf)->nlmsg_len = (uint32_t) m.len;
        /* Not a RTM_NEWLINK. */
        ((struct nlmsghdr *) m.buf)->nlmsg_type = RTM_DELLINK;
        CHECK_INT(vf_netlink_parse_newlink(m.buf, m.len, &t, &tn), -EBADMSG);
        free(m.buf);

        /* A netdev without IFLA_VFINFO_LIST (lo, veth): 0 VFs. */
        m = make_newlink(0, false);
        tn = 5;
        CHECK_INT(vf_netlink_parse_newlink(m.buf, m.len, &t, &tn), 0);
        CHECK_INT(tn, 0);
        CHECK(t == NULL);
        free(m.buf);
}

/* ---- kernel backend: the real thing ------------------------------------------------------------ */

TEST(kernel_list_lo) {
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 99;
        VfInfo i;
        int r;

        r = vf_netlink_open(sriov_backend_kernel(), "/", &nl);
        if (r < 0) {
                printf("skipped: no NETLINK_ROUTE socket: %s\n", strerror(-r));
                return;
        }
        CHECK(vf_netlink_backend(nl) == sriov_backend_kernel());
        CHECK(!sriov_backend_is_simulated(vf_netlink_backend(nl)));
        /* Reading needs no privileges. */
        CHECK_INT(vf_netlink_list(nl, "lo", &v, &n), 0);
        CHECK_INT(n, 0);
        CHECK(v == NULL);
        CHECK_INT(vf_netlink_get(nl, "lo", 0, &i), -EINVAL);
        CHECK_INT(vf_netlink_list(nl, "an-nosuch0", &v, &n), -ENODEV);
        /* The socket stays usable after an error. */
        CHECK_INT(vf_netlink_list(nl, "lo", &v, &n), 0);
        /* With the counters asked for (the exporter's request): a netdev without VFs has none. */
        n = 99;
        CHECK_INT(vf_netlink_list_stats(nl, "lo", &v, &n), 0);
        CHECK_INT(n, 0);
        CHECK(v == NULL);
        CHECK_INT(vf_netlink_list_stats(nl, "an-nosuch0", &v, &n), -ENODEV);
}

/* In a private network namespace: sets on devices without VFs give a plain errno. Runs in a
 * child; exit 77 = cannot make a namespace here. */
static int kernel_netns_child(void) {
        int failures_before = test_failures;
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        _cleanup_free_ VfInfo *v = NULL;
        VfPolicy p = { .mac = "52:54:00:00:00:01", .vlan = 5, .spoofchk = true };
        VfApplyResult res;
        size_t n = 99;
        int r;

        if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                return 77;
        if (vf_netlink_open(sriov_backend_kernel(), "/", &nl) < 0)
                return 77;

        CHECK_INT(vf_netlink_list(nl, "lo", &v, &n), 0);
        CHECK_INT(n, 0);
        r = vf_netlink_set_mac(nl, "lo", 0, "52:54:00:00:00:01");
        CHECK(r < 0 && r > -4096);
        CHECK_INT(r, -EOPNOTSUPP); /* lo has no VF operations */
        CHECK_INT(vf_netlink_set_vlan(nl, "lo", 0, 5, 1), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_set_spoofchk(nl, "lo", 0, true), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_set_trust(nl, "lo", 0, false), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_set_rate(nl, "lo", 0, 0, 100), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_set_link_state(nl, "lo", 0, VF_LINK_STATE_AUTO), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_set_trust(nl, "an-nosuch0", 0, false), -ENODEV);
        CHECK_INT(vf_policy_apply(nl, "lo", 3, &p, &res), -EOPNOTSUPP);
        for (VfAttr a = 0; a < _VF_ATTR_MAX; a++)
                CHECK_INT(res.result[a], -EOPNOTSUPP);
        CHECK_INT(vf_policy_apply(nl, "an-nosuch0", 0, &p, &res), -ENODEV);

        if (system("ip link add an-veth0 type veth peer name an-veth1 >/dev/null 2>&1") == 0) {
                _cleanup_free_ VfInfo *w = NULL;
                n = 99;
                CHECK_INT(vf_netlink_list(nl, "an-veth0", &w, &n), 0);
                CHECK_INT(n, 0);
                r = vf_netlink_set_vlan(nl, "an-veth0", 0, 10, 0);
                CHECK(r < 0 && r > -4096);
        } else
                printf("skipped: veth part (ip link add failed)\n");
        return test_failures > failures_before ? 1 : 0;
}

TEST(kernel_netns_sets) {
        pid_t pid;
        int status = 0;

        fflush(NULL);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0)
                _exit(kernel_netns_child());
        ASSERT(waitpid(pid, &status, 0) == pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
                printf("skipped: cannot create a network namespace here\n");
                return;
        }
        CHECK(WIFEXITED(status));
        CHECK_INT(WEXITSTATUS(status), 0);
}

int main(void) {
        RUN(string_tables);
        RUN(mac_and_names);
        RUN(nle_mapping);
        RUN(kernel_setlink_messages);
        RUN(kernel_getlink_message);
        RUN(kernel_parse_256_vfs);
        RUN(kernel_list_lo);
        RUN(kernel_netns_sets);
        return TEST_MAIN_END();
}
