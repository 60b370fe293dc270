/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel backend of VF policy: rtnetlink through libnl's core (no libnl-route caches),
 * messages built by hand, one VF attribute per RTM_SETLINK, every request acknowledged.
 *
 * Ownership: the backend handle is a struct nl_sock, owned by the VfNetlink that opened
 * it; every struct nl_msg and struct nl_cb made here is owned by the function that made it
 * and freed before it returns. libnl's -NLE_* codes are turned into -errno here
 * (vf_netlink_nle_to_errno); a kernel NLMSG_ERROR keeps its exact errno. */

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "kernel.h"
#include "shared/log.h"
#include "vfpolicy-internal.h"

#define VF_NL_RCVBUF (256 * 1024)       /* socket receive buffer */
#define VF_NL_MSGBUF (64 * 1024)        /* first read; MSG_PEEK grows it for bigger replies */
#define VF_NL_MAX_REPLY (4 * 1024 * 1024) /* a RTM_NEWLINK bigger than this is refused */
#define VF_NL_TIMEOUT_SEC 5
#define VF_NL_MAX_READS 16              /* replies + ACK for one request arrive in 2 reads */

_Static_assert((int) VF_LINK_STATE_AUTO == (int) IFLA_VF_LINK_STATE_AUTO, "link state values");
_Static_assert((int) VF_LINK_STATE_ENABLE == (int) IFLA_VF_LINK_STATE_ENABLE, "link state values");
_Static_assert((int) VF_LINK_STATE_DISABLE == (int) IFLA_VF_LINK_STATE_DISABLE, "link state values");

static inline void nlmsg_freep(struct nl_msg **m) {
        if (*m)
                nlmsg_free(*m);
}
static inline void nl_cb_putp(struct nl_cb **cb) {
        if (*cb)
                nl_cb_put(*cb);
}

int vf_netlink_nle_to_errno(int nle) {
        static const int map[] = {
                [NLE_SUCCESS] = 0,
                [NLE_FAILURE] = EIO,
                [NLE_INTR] = EINTR,
                [NLE_BAD_SOCK] = EBADF,
                [NLE_AGAIN] = EAGAIN,
                [NLE_NOMEM] = ENOMEM,
                [NLE_EXIST] = EEXIST,
                [NLE_INVAL] = EINVAL,
                [NLE_RANGE] = ERANGE,
                [NLE_MSGSIZE] = EMSGSIZE,
                [NLE_OPNOTSUPP] = EOPNOTSUPP,
                [NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
                [NLE_OBJ_NOTFOUND] = ENOENT,
                [NLE_NOATTR] = ENODATA,
                [NLE_MISSING_ATTR] = EBADMSG,
                [NLE_AF_MISMATCH] = EAFNOSUPPORT,
                [NLE_SEQ_MISMATCH] = EPROTO,
                [NLE_MSG_OVERFLOW] = EOVERFLOW,
                [NLE_MSG_TRUNC] = EBADMSG,
                [NLE_NOADDR] = EADDRNOTAVAIL,
                [NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
                [NLE_MSG_TOOSHORT] = EBADMSG,
                [NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
                [NLE_OBJ_MISMATCH] = EINVAL,
                [NLE_NOCACHE] = ENOENT,
                [NLE_BUSY] = EBUSY,
                [NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
                [NLE_NOACCESS] = EACCES,
                [NLE_PERM] = EPERM,
                [NLE_PKTLOC_FILE] = ENOENT,
                [NLE_PARSE_ERR] = EBADMSG,
                [NLE_NODEV] = ENODEV,
                [NLE_IMMUTABLE] = EPERM,
                [NLE_DUMP_INTR] = EINTR,
                [NLE_ATTRSIZE] = EBADMSG,
        };
        int e = nle < 0 ? -nle : nle;

        if (e == 0)
                return 0;
        if ((size_t) e >= ELEMENTSOF(map) || map[e] == 0)
                return -EIO;
        return -map[e];
}

/* ---- the socket --------------------------------------------------------------------------- */

int vf_kernel_open(const char *root, void **ret_handle) {
        struct nl_sock *sk;
        struct timeval tv = { .tv_sec = VF_NL_TIMEOUT_SEC };
        int r;

        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0)
                goto fail;
        r = nl_socket_set_buffer_size(sk, VF_NL_RCVBUF, 0);
        if (r < 0)
                goto fail;
        r = nl_socket_set_msg_buf_size(sk, VF_NL_MSGBUF);
        if (r < 0)
                goto fail;
        nl_socket_enable_msg_peek(sk);
        /* Never block the caller forever on a kernel that does not answer. */
        if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
                int e = -errno;
                nl_socket_free(sk);
                return e;
        }
        *ret_handle = sk;
        return 0;
fail:
        nl_socket_free(sk);
        return vf_netlink_nle_to_errno(r);
}

void vf_kernel_close(void *handle) {
        if (handle)
                nl_socket_free(handle);
}

/* ---- building requests -------------------------------------------------------------------------- */

static int put_ifinfo(struct nl_msg *m, const char *pf) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };

        if (nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0)
                return -ENOBUFS;
        /* By name: the kernel resolves it in the socket's namespace and says ENODEV if absent. */
        if (nla_put_string(m, IFLA_IFNAME, pf) < 0)
                return -ENOBUFS;
        return 0;
}

/* RTEXT_FILTER_SKIP_STATS unless the VFs' counters are wanted: some drivers ask their
 * firmware for each VF's (mlx5), which the daemon's listings do not need. */
static int build_getlink(const char *pf, unsigned flags, struct nl_msg **ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        uint32_t mask = RTEXT_FILTER_VF | ((flags & VF_LIST_STATS) ? 0 : RTEXT_FILTER_SKIP_STATS);
        int r;

        m = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
        if (!m)
                return -ENOMEM;
        r = put_ifinfo(m, pf);
        if (r < 0)
                return r;
        if (nla_put_u32(m, IFLA_EXT_MASK, mask) < 0)
                return -ENOBUFS;
        *ret = TAKE_PTR(m);
        return 0;
}

static int put_vf_attr(struct nl_msg *m, const VfSetRequest *req) {
        switch (req->kind) {
        case VF_SET_MAC: {
                struct ifla_vf_mac a = { .vf = req->vf };
                memcpy(a.mac, req->mac, sizeof req->mac);
                return nla_put(m, IFLA_VF_MAC, sizeof a, &a);
        }
        case VF_SET_VLAN: {
                struct ifla_vf_vlan a = { .vf = req->vf, .vlan = req->vlan, .qos = req->qos };
                return nla_put(m, IFLA_VF_VLAN, sizeof a, &a);
        }
        case VF_SET_SPOOFCHK: {
                struct ifla_vf_spoofchk a = { .vf = req->vf, .setting = req->on };
                return nla_put(m, IFLA_VF_SPOOFCHK, sizeof a, &a);
        }
        case VF_SET_TRUST: {
                struct ifla_vf_trust a = { .vf = req->vf, .setting = req->on };
                return nla_put(m, IFLA_VF_TRUST, sizeof a, &a);
        }
        case VF_SET_RATE: {
                struct ifla_vf_rate a = { .vf = req->vf, .min_tx_rate = req->min_tx_rate,
                                          .max_tx_rate = req->max_tx_rate };
                return nla_put(m, IFLA_VF_RATE, sizeof a, &a);
        }
        case VF_SET_LINK_STATE: {
                struct ifla_vf_link_state a = { .vf = req->vf, .link_state = (uint32_t) req->link_state };
                return nla_put(m, IFLA_VF_LINK_STATE, sizeof a, &a);
        }
        default:
                return -NLE_INVAL;
        }
}

static int build_setlink(const char *pf, const VfSetRequest *req, struct nl_msg **ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct nlattr *list, *info;
        int r;

        m = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
        if (!m)
                return -ENOMEM;
        r = put_ifinfo(m, pf);
        if (r < 0)
                return r;
        /* IFLA_VFINFO_LIST { IFLA_VF_INFO { exactly one IFLA_VF_* } } */
        list = nla_nest_start(m, IFLA_VFINFO_LIST);
        if (!list)
                return -ENOBUFS;
        info = nla_nest_start(m, IFLA_VF_INFO);
        if (!info)
                return -ENOBUFS;
        r = put_vf_attr(m, req);
        if (r < 0)
                return r == -NLE_INVAL ? -EINVAL : -ENOBUFS;
        if (nla_nest_end(m, info) < 0 || nla_nest_end(m, list) < 0)
                return -ENOBUFS;
        *ret = TAKE_PTR(m);
        return 0;
}

static int copy_msg(struct nl_msg *m, void **ret, size_t *ret_size) {
        struct nlmsghdr *h = nlmsg_hdr(m);
        void *copy = malloc(h->nlmsg_len);

        if (!copy)
                return -ENOMEM;
        memcpy(copy, h, h->nlmsg_len);
        *ret = copy;
        *ret_size = h->nlmsg_len;
        return 0;
}

int vf_netlink_build_setlink(const char *pf, const VfSetRequest *req, void **ret, size_t *ret_size) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        int r;

        assert_return(req && ret && ret_size, -EINVAL);
        if (!vf_ifname_valid(pf))
                return -EINVAL;
        r = build_setlink(pf, req, &m);
        return r < 0 ? r : copy_msg(m, ret, ret_size);
}

int vf_netlink_build_getlink(const char *pf, unsigned flags, void **ret, size_t *ret_size) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        int r;

        assert_return(ret && ret_size, -EINVAL);
        if (!vf_ifname_valid(pf))
                return -EINVAL;
        r = build_getlink(pf, flags, &m);
        return r < 0 ? r : copy_msg(m, ret, ret_size);
}

/* ---- parsing RTM_NEWLINK --------------------------------------------------------------------------- */

static bool attr_fits(const struct nlattr *a, size_t need) {
        return a && nla_len(a) >= 0 && (size_t) nla_len(a) >= need;
}

static int tristate(uint32_t setting) {
        /* The kernel reports -1 (as u32) for "driver does not say". */
        return setting == 0 ? 0 : setting == 1 ? 1 : -1;
}

/* IFLA_VF_STATS { IFLA_VF_STATS_* u64 }: what is there is read, what is missing stays 0
 * (RX/TX_DROPPED came with 5.6). */
static int parse_vf_stats(struct nlattr *nest, VfStats *ret) {
        struct nlattr *tb[IFLA_VF_STATS_MAX + 1] = {};
        static const struct {
                int attr;
                size_t offset;
        } fields[] = {
                { IFLA_VF_STATS_RX_PACKETS, offsetof(VfStats, rx_packets) },
                { IFLA_VF_STATS_TX_PACKETS, offsetof(VfStats, tx_packets) },
                { IFLA_VF_STATS_RX_BYTES, offsetof(VfStats, rx_bytes) },
                { IFLA_VF_STATS_TX_BYTES, offsetof(VfStats, tx_bytes) },
                { IFLA_VF_STATS_BROADCAST, offsetof(VfStats, broadcast) },
                { IFLA_VF_STATS_MULTICAST, offsetof(VfStats, multicast) },
                { IFLA_VF_STATS_RX_DROPPED, offsetof(VfStats, rx_dropped) },
                { IFLA_VF_STATS_TX_DROPPED, offsetof(VfStats, tx_dropped) },
        };
        VfStats s = {};

        if (nla_parse_nested(tb, IFLA_VF_STATS_MAX, nest, NULL) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const struct nlattr *a = tb[fields[i].attr];
                if (!a)
                        continue;
                if (!attr_fits(a, sizeof(uint64_t)))
                        return -EBADMSG;
                uint64_t v;
                memcpy(&v, nla_data(a), sizeof v); /* attributes are only 4-byte aligned */
                memcpy((char *) &s + fields[i].offset, &v, sizeof v);
        }
        *ret = s;
        return 0;
}

static int parse_vf_info(struct nlattr *info, VfInfo *ret) {
        struct nlattr *tb[IFLA_VF_MAX + 1] = {};
        VfInfo v = { .spoofchk = -1, .trust = -1, .link_state = -1 };
        int r;

        r = nla_parse_nested(tb, IFLA_VF_MAX, info, NULL);
        if (r < 0)
                return -EBADMSG;
        /* Every VF entry carries IFLA_VF_MAC; it is where the index comes from. */
        if (!attr_fits(tb[IFLA_VF_MAC], sizeof(struct ifla_vf_mac)))
                return -EBADMSG;
        const struct ifla_vf_mac *mac = nla_data(tb[IFLA_VF_MAC]);
        v.index = mac->vf;
        vf_mac_format(mac->mac, v.mac);
        if (attr_fits(tb[IFLA_VF_VLAN], sizeof(struct ifla_vf_vlan))) {
                const struct ifla_vf_vlan *a = nla_data(tb[IFLA_VF_VLAN]);
                v.vlan = a->vlan;
                v.qos = a->qos;
        }
        if (attr_fits(tb[IFLA_VF_RATE], sizeof(struct ifla_vf_rate))) {
                const struct ifla_vf_rate *a = nla_data(tb[IFLA_VF_RATE]);
                v.min_tx_rate = a->min_tx_rate;
                v.max_tx_rate = a->max_tx_rate;
        } else if (attr_fits(tb[IFLA_VF_TX_RATE], sizeof(struct ifla_vf_tx_rate))) {
                const struct ifla_vf_tx_rate *a = nla_data(tb[IFLA_VF_TX_RATE]);
                v.max_tx_rate = a->rate;
        }
        if (attr_fits(tb[IFLA_VF_SPOOFCHK], sizeof(struct ifla_vf_spoofchk)))
                v.spoofchk = tristate(((const struct ifla_vf_spoofchk *) nla_data(tb[IFLA_VF_SPOOFCHK]))->setting);
        if (attr_fits(tb[IFLA_VF_TRUST], sizeof(struct ifla_vf_trust)))
                v.trust = tristate(((const struct ifla_vf_trust *) nla_data(tb[IFLA_VF_TRUST]))->setting);
        if (attr_fits(tb[IFLA_VF_LINK_STATE], sizeof(struct ifla_vf_link_state))) {
                uint32_t s = ((const struct ifla_vf_link_state *) nla_data(tb[IFLA_VF_LINK_STATE]))->link_state;
                v.link_state = s < _VF_LINK_STATE_MAX ? (int) s : -1;
        }
        if (tb[IFLA_VF_STATS]) {
                r = parse_vf_stats(tb[IFLA_VF_STATS], &v.stats);
                if (r < 0)
                        return r;
                v.has_stats = true;
        }
        *ret = v;
        return 0;
}

static int cmp_vf(const void *a, const void *b) {
        uint32_t x = ((const VfInfo *) a)->index, y = ((const VfInfo *) b)->index;
        return x < y ? -1 : x > y;
}

static int parse_newlink(struct nlmsghdr *h, VfInfo **ret, size_t *ret_n) {
        struct nlattr *tb[IFLA_MAX + 1] = {}, *pos;
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0, count = 0;
        int rem, r;

        if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
                return -EBADMSG;
        r = nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL);
        if (r < 0)
                return -EBADMSG;
        if (!tb[IFLA_VFINFO_LIST]) {
                /* No parent device, no VFs, or RTEXT_FILTER_VF not honoured: nothing to list. */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        nla_for_each_nested(pos, tb[IFLA_VFINFO_LIST], rem)
                if (nla_type(pos) == IFLA_VF_INFO)
                        count++;
        if (count > VF_NETLINK_MAX_VFS)
                return -E2BIG;
        if (count > 0) {
                v = calloc(count, sizeof *v);
                if (!v)
                        return -ENOMEM;
        }
        nla_for_each_nested(pos, tb[IFLA_VFINFO_LIST], rem) {
                if (nla_type(pos) != IFLA_VF_INFO || n >= count)
                        continue;
                r = parse_vf_info(pos, &v[n]);
                if (r < 0)
                        return r;
                n++;
        }
        if (n > 1)
                qsort(v, n, sizeof *v, cmp_vf);
        for (size_t i = 1; i < n; i++)
                if (v[i].index == v[i - 1].index)
                        return -EBADMSG;
        *ret = n > 0 ? TAKE_PTR(v) : NULL;
        *ret_n = n;
        return 0;
}

int vf_netlink_parse_newlink(const void *msg, size_t size, VfInfo **ret, size_t *ret_n) {
        _cleanup_free_ void *copy = NULL;
        struct nlmsghdr *h;

        assert_return(msg && ret && ret_n, -EINVAL);
        if (size < sizeof(struct nlmsghdr) || size > VF_NL_MAX_REPLY)
                return -EBADMSG;
        /* A private, aligned copy: libnl's parsers take non-const headers. */
        copy = malloc(size);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, msg, size);
        h = copy;
        if (h->nlmsg_len < sizeof(struct nlmsghdr) || h->nlmsg_len > size)
                return -EBADMSG;
        return parse_newlink(h, ret, ret_n);
}

/* ---- one request, its reply and its ACK -------------------------------------------------------------- */

typedef struct Transaction {
        uint32_t seq;       /* of the request; anything else is a late reply to an old one */
        bool done;          /* ACK or error seen */
        int error;          /* kernel errno (negative) or 0 */
        bool want_link;     /* RTM_GETLINK: parse the RTM_NEWLINK reply */
        bool have_link;
        int parse_error;
        VfInfo *vfs;
        size_t n_vfs;
} Transaction;

static int on_seq_check(struct nl_msg *m, void *userdata) {
        Transaction *t = userdata;
        return nlmsg_hdr(m)->nlmsg_seq == t->seq ? NL_OK : NL_SKIP;
}

static int on_valid(struct nl_msg *m, void *userdata) {
        Transaction *t = userdata;
        struct nlmsghdr *h = nlmsg_hdr(m);

        if (!t->want_link || h->nlmsg_type != RTM_NEWLINK || t->have_link)
                return NL_SKIP;
        if (h->nlmsg_len > VF_NL_MAX_REPLY) {
                t->parse_error = -E2BIG;
        } else {
                int r = parse_newlink(h, &t->vfs, &t->n_vfs);
                if (r < 0)
                        t->parse_error = r;
        }
        t->have_link = true;
        return NL_OK;
}

static int on_ack(struct nl_msg *m, void *userdata) {
        Transaction *t = userdata;
        t->done = true;
        t->error = 0;
        return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *userdata) {
        Transaction *t = userdata;
        t->done = true;
        /* The kernel sends -errno; keep it as it is (ENODEV, EINVAL, EOPNOTSUPP, EPERM, ...). */
        t->error = e->error < 0 ? e->error : -EIO;
        return NL_STOP;
}

static int transact(struct nl_sock *sk, struct nl_msg *m, Transaction *t) {
        _cleanup_(nl_cb_putp) struct nl_cb *cb = NULL;
        int r;

        if (!sk)
                return -EBADF;
        cb = nl_cb_alloc(NL_CB_DEFAULT);
        if (!cb)
                return -ENOMEM;
        if (nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, t) < 0 ||
            nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, t) < 0 ||
            nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, t) < 0 ||
            nl_cb_err(cb, NL_CB_CUSTOM, on_error, t) < 0)
                return -ENOMEM;

        r = nl_send_auto(sk, m);
        if (r < 0)
                return vf_netlink_nle_to_errno(r);
        t->seq = nlmsg_hdr(m)->nlmsg_seq;

        for (unsigned i = 0; !t->done; i++) {
                if (i >= VF_NL_MAX_READS)
                        return -EPROTO;
                r = nl_recvmsgs_report(sk, cb);
                if (t->done)
                        break;
                if (r < 0)
                        return vf_netlink_nle_to_errno(r);
                if (r == 0) /* nothing read within SO_RCVTIMEO */
                        return -ETIMEDOUT;
        }
        return t->error;
}

int vf_kernel_list(void *handle, const char *pf, unsigned flags, VfInfo **ret, size_t *ret_n) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        Transaction t = { .want_link = true };
        int r;

        r = build_getlink(pf, flags, &m);
        if (r < 0)
                return r;
        r = transact(handle, m, &t);
        if (r >= 0 && t.parse_error < 0)
                r = t.parse_error;
        else if (r >= 0 && !t.have_link)
                r = -EBADMSG;
        if (r < 0) {
                free(t.vfs);
                return r;
        }
        *ret = t.vfs;
        *ret_n = t.n_vfs;
        return 0;
}

static int kernel_set_one(struct nl_sock *sk, const char *pf, const VfSetRequest *req) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        Transaction t = {};
        int r;

        r = build_setlink(pf, req, &m);
        if (r < 0)
                return r;
        return transact(sk, m, &t);
}

/* One RTM_SETLINK per request, each acknowledged before the next is sent. */
int vf_kernel_set(void *handle, const char *pf, const VfSetRequest *reqs, size_t n, int *results) {
        for (size_t i = 0; i < n; i++)
                results[i] = kernel_set_one(handle, pf, &reqs[i]);
        return 0;
}
