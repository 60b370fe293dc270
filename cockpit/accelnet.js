/* accelnet's Cockpit page: the same D-Bus API as accelnetctl (org.accelnet1 on the system
 * bus), reached through Cockpit's bridge with the global `cockpit` object.
 *
 * Reads go to the daemon as the logged-in user (reads are open to everyone); changes go with
 * {superuser: "try"}, so an administrator's session calls as root and anyone else gets the
 * daemon's AccessDenied, which the page shows. Nothing polls: the manager's properties come
 * from a proxy ("changed" on PropertiesChanged), the lists are read again after the daemon's
 * VMChanged, HealthChanged and DrainProgress signals. Methods that an older daemon lacks
 * (ExplainVM, EnableVMsEx, DisableVMsEx, ListVMsEx, ListAdaptersEx) are looked up in the introspection data
 * (the proxy's methods) and, failing that, the page uses the older calls.
 *
 * accelnetd may stop and start while the page is open (an upgrade, a restart): the client
 * follows the owner of the name org.accelnet1. Without one the page says the daemon is not
 * running and shows none of the old numbers; when a new owner takes the name the page makes
 * a new proxy (the new daemon's introspection and properties) and reads everything again. */

const _ = cockpit.gettext;
const BUS = "org.accelnet1";
const PATH = "/org/accelnet1";
const IFACE = "org.accelnet1.Manager";
const UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod";
const TIERS = ["Low", "Medium", "High"];
const RESERVE_KEEP = 4294967295;

/* One client for reads (the user's own rights) and one for changes (superuser if the
 * session has it). Both watch the same signals; only the reader's are used. The reader is
 * made anew for each run of the daemon (connect()): the bridge keeps the introspection data
 * and the properties per client, and a new daemon may have others. */
let reader = null;
const writer = cockpit.dbus(BUS, { bus: "system", superuser: "try" });

const state = {
    props: {},
    vms: [], // {name, enabled, performance, vf, note, extra: {power, vcpus, node...}}
    intents: [], // {name, types, adapters}
    nodes: [],
    adapters: [],
    health: [], // {address, ifname, state, since, quarantined, reasons, counters, events}
    prereq: null,
    results: {}, // vm -> {ok, name, message}
    selected: { enabled: new Set(), disabled: new Set() },
    form: { intent: "", reserve: "50", tierEnable: "Medium", tierSet: "Medium", setIntent: "", setReserve: "",
            explainTier: "Medium" },
    explain: {}, // vm + tier -> rows or {error}
    drain: {}, // adapter address -> {done, total}
    missing: new Set(), // methods this daemon does not have
    allowed: null, // may this session change things
    busy: false,
    loaded: false,
    daemonError: null,
    down: false, // the bus name has no owner: accelnetd is not running
};

/* ---- small DOM helper (text always as text: VM names never become markup) -------------- */

function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false)
            continue;
        if (k.startsWith("on"))
            el.addEventListener(k.slice(2), v);
        else if (k === "className")
            el.className = v;
        else if (k === "style")
            Object.assign(el.style, v); // CSSOM: Cockpit's CSP refuses style attributes
        else if (k === "checked" || k === "value" || k === "disabled" || k === "selected")
            el[k] = v;
        else
            el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false)
            continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

/* ---- the bus ---------------------------------------------------------------------------- */

let proxy = null;

/* Whether the daemon has a method: the proxy gets one function per method of the interface's
 * introspection data (and a call answered UnknownMethod rules it out as well). */
function has(method) {
    if (state.missing.has(method))
        return false;
    return !!proxy && typeof proxy[method] === "function";
}

function read(method, type, args) {
    return reader.call(PATH, IFACE, method, args || [], type ? { type } : {});
}

function change(method, type, args) {
    return writer.call(PATH, IFACE, method, args || [], type ? { type } : {});
}

function errorText(ex) {
    const name = ex && ex.name ? ex.name.replace(/^org\.accelnet1\.Error\./, "") : "";
    const msg = (ex && (ex.message || ex.problem)) || String(ex);
    return name && !msg.startsWith(name) ? `${name}: ${msg}` : msg;
}

function showAlert(ex, what) {
    const el = document.getElementById("alert");
    el.replaceChildren();
    if (!ex) {
        el.hidden = true;
        return;
    }
    el.hidden = false;
    el.className = "an-alert" + (ex.ok ? " an-ok" : "");
    if (ex.ok) {
        el.append(h("span", {}, ex.text));
        return;
    }
    const denied = ex.name === "org.freedesktop.DBus.Error.AccessDenied";
    el.append(h("strong", {}, what ? `${what}: ` : ""), h("span", { "data-error": ex.name || "" }, errorText(ex)));
    if (denied)
        el.append(h("p", {}, _("Changes need administrative access: turn it on in Cockpit's top bar " +
                                "(\"Limited access\"), or ask an administrator.")));
}

async function loadLists() {
    const jobs = [];
    if (has("ListVMsEx")) {
        jobs.push(read("ListVMsEx").then(([rows]) => {
            state.vms = rows.map(r => ({ name: r[0], enabled: r[1] === "enabled", performance: r[2], vf: r[3],
                                         note: r[4], extra: unpackDict(r[5]) }));
        }).catch(ex => {
            if (ex.name !== UNKNOWN_METHOD)
                throw ex;
            state.missing.add("ListVMsEx");
            return loadVms();
        }));
    } else {
        jobs.push(loadVms());
    }
    jobs.push(read("ListIntents").then(([rows]) => {
        state.intents = rows.map(r => ({ name: r[0], types: r[1], adapters: r[2] }));
    }));
    jobs.push(read("ListNodes").then(([rows]) => {
        state.nodes = rows.map(r => ({ id: r[0], name: r[1], state: r[2], ht: r[3], capacity: r[4], share: r[5],
                                       assigned: r[6], note: r[7] }));
    }));
    jobs.push(loadAdapters());
    jobs.push(read("GetHealth").then(([rows]) => {
        state.health = rows.map(r => ({ address: r[0], ifname: r[1], state: r[2], since: r[3], quarantined: r[4],
                                        reasons: r[5], counters: r[6], events: r[7] }));
    }).catch(() => { state.health = [] }));
    await Promise.all(jobs);
}

/* ListAdaptersEx adds "drained" (and health...); without it, drained is unknown (undefined)
 * and both Drain and Restore are offered. */
function loadAdapters() {
    const rows = r => ({ address: r[0], ifname: r[1], driver: r[2], verdict: r[3], total: r[4], enabled: r[5],
                         assigned: r[6], extra: unpackDict(r[7]) });
    if (has("ListAdaptersEx")) {
        return read("ListAdaptersEx").then(([list]) => { state.adapters = list.map(rows) }).catch(ex => {
            if (ex.name !== UNKNOWN_METHOD)
                throw ex;
            state.missing.add("ListAdaptersEx");
            return loadAdapters();
        });
    }
    return read("ListAdapters").then(([list]) => { state.adapters = list.map(rows) });
}

function loadVms() {
    return read("ListVMs").then(([rows]) => {
        state.vms = rows.map(r => ({ name: r[0], enabled: r[1] === "enabled", performance: r[2], vf: r[3],
                                     note: r[4], extra: {} }));
    });
}

function unpackDict(d) {
    const out = {};
    for (const [k, v] of Object.entries(d || {}))
        out[k] = v && typeof v === "object" && "v" in v ? v.v : v;
    return out;
}

async function loadPrereq() {
    try {
        const [rows] = await read("GetPrerequisites");
        state.prereq = rows.map(r => ({ check: r[0], subject: r[1], result: r[2], code: r[3], detail: r[4] }));
    } catch (ex) {
        state.prereq = { error: ex };
    }
}

/* Every signal asks for one reload; signals arriving meanwhile are folded into the next. */
let reloading = null;
let reloadAgain = false;
function reload() {
    if (reloading) {
        reloadAgain = true;
        return reloading;
    }
    reloading = loadLists()
            .then(() => {
                /* lists read just before the daemon went away are not shown as live */
                if (!state.down) {
                    state.loaded = true;
                    state.daemonError = null;
                }
            })
            .catch(ex => { state.daemonError = ex })
            .finally(() => {
                reloading = null;
                render();
                if (reloadAgain) {
                    reloadAgain = false;
                    reload();
                }
            });
    return reloading;
}

/* ---- routing ---------------------------------------------------------------------------- */

const PAGES = [
    ["overview", _("Overview")],
    ["setup", _("Set up")],
    ["settings", _("Settings")],
    ["enabled", _("Enabled VMs")],
    ["disabled", _("Disabled VMs")],
    ["adapters", _("Adapters")],
];

function route() {
    const p = cockpit.location.path;
    const page = p[0] || "overview";
    return { page, arg: p[1] };
}

function go(...path) {
    cockpit.location.go(path);
}

function renderTabs() {
    const { page } = route();
    const nav = document.getElementById("tabs");
    nav.replaceChildren(...PAGES.map(([id, label]) =>
        h("button", { type: "button", id: `tab-${id}`, className: "an-tab", "aria-current": page === id ? "page" : null,
                      onclick: () => go(id) }, label)));
}

/* ---- pages ------------------------------------------------------------------------------ */

function canChange() {
    return state.allowed !== false;
}

function changeButton(attrs, label) {
    return h("button", { type: "button", ...attrs, disabled: state.busy || !canChange() || attrs.disabled }, label);
}

function counts() {
    const p = state.props;
    const usable = p.UsableVFs || 0;
    const assigned = p.AssignedVFs || 0;
    const pct = usable ? Math.min(100, Math.round(assigned * 100 / usable)) : 0;
    return h("section", { className: "an-card", "aria-labelledby": "cap-h" },
             h("h2", { id: "cap-h" }, _("Virtual functions")),
             h("dl", { className: "an-counts" },
               h("dt", {}, _("Capacity")), h("dd", { "data-count": "capacity" }, p.CapacityVFs ?? 0),
               h("dt", {}, _("Usable")), h("dd", { "data-count": "usable" }, usable),
               h("dt", {}, _("Assigned")), h("dd", { "data-count": "assigned" }, assigned)),
             h("div", { className: "an-bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": usable,
                        "aria-valuenow": assigned, "aria-label": _("Assigned of usable VFs") },
               h("div", { className: "an-bar-fill", style: { width: `${pct}%` } })),
             h("p", { className: "an-muted" }, p.Enabled
                 ? cockpit.format(_("$0 of $1 usable VFs assigned; $2 held in reserve"), assigned, usable,
                                  (p.CapacityVFs || 0) - usable)
                 : cockpit.format(_("Management is not enabled; $0 VFs stay with their VMs, which keep their settings."),
                                  assigned)));
}

function pageOverview() {
    const p = state.props;
    const enabled = !!p.Enabled;
    const out = [
        h("section", { className: "an-card", "aria-labelledby": "mgmt-h" },
          h("h2", { id: "mgmt-h" }, _("Management")),
          h("dl", { className: "an-facts" },
            h("dt", {}, _("State")),
            h("dd", { "data-field": "enabled" }, enabled ? _("Enabled") : _("Not enabled")),
            h("dt", {}, _("Intent")), h("dd", { "data-field": "intent" }, enabled ? p.IntentName : "—"),
            h("dt", {}, _("Node reserve")),
            h("dd", { "data-field": "reserve" }, enabled ? `${p.NodeReservePercentage} %` : "—"),
            h("dt", {}, _("Hyperthreading")), h("dd", {}, p.HyperthreadingEnabled ? _("On") : _("Off")),
            p.ClusterName ? [h("dt", {}, _("Cluster")),
                             h("dd", {}, `${p.ClusterName} (${p.ClusterNodes} ${_("nodes")}${p.Quorate ? "" : ", " + _("no quorum")})`)] : null,
            h("dt", {}, _("Daemon version")), h("dd", {}, p.Version || "—")),
          enabled ? null : h("p", {}, h("button", { type: "button", onclick: () => go("setup") }, _("Set up Accelerated Networking")))),
        counts(),
        h("section", { className: "an-card an-wide", "aria-labelledby": "nodes-h" },
          h("h2", { id: "nodes-h" }, _("Nodes")),
          table([_("Node"), _("State"), _("Hyperthreading"), _("Capacity"), _("Usable share"), _("Assigned"), _("Note")],
                state.nodes.map(n => [n.name, n.state, n.ht ? _("On") : _("Off"), n.capacity, n.share, n.assigned, n.note]),
                "nodes")),
        h("section", { className: "an-card an-wide", "aria-labelledby": "health-h" },
          h("h2", { id: "health-h" }, _("Adapter health")),
          state.health.length
              ? table([_("Adapter"), _("PCI address"), _("Health"), _("Quarantined"), _("Reason")],
                      state.health.map(a => [a.ifname || "—", a.address, healthBadge(a.state), a.quarantined ? _("yes") : _("no"),
                                             a.reasons.length ? `${a.reasons[0][0]}: ${a.reasons[0][1]}` : ""]), "health")
              : h("p", { className: "an-muted" }, _("No adapter's health is watched (management is not enabled)."))),
    ];
    return out;
}

function healthBadge(s) {
    return h("span", { className: `an-badge an-${(s || "").toLowerCase()}` }, s);
}

function table(heads, rows, id, rowAttrs) {
    return h("table", { className: "an-table", "data-table": id },
             h("thead", {}, h("tr", {}, heads.map(x => h("th", { scope: "col" }, x)))),
             h("tbody", {}, rows.length
                 ? rows.map((r, i) => h("tr", rowAttrs ? rowAttrs(i) : {}, r.map(c => h("td", {}, c))))
                 : h("tr", {}, h("td", { colspan: heads.length, className: "an-muted" }, _("None")))));
}

function computeIntents() {
    return state.intents.filter(i => i.types.map(t => t.toLowerCase()).includes("compute"));
}

function intentSelect(id, value, onchange, keepLabel) {
    const opts = computeIntents().map(i => h("option", { value: i.name, selected: i.name === value },
                                             `${i.name} (${i.adapters.join(", ")})`));
    if (keepLabel)
        opts.unshift(h("option", { value: "", selected: value === "" }, keepLabel));
    return h("select", { id, onchange: e => onchange(e.target.value) }, opts);
}

function reserveHelp() {
    return h("p", { className: "an-help", id: "reserve-help" },
             _("0–99, default 50. The node reserve is the percentage of the cluster's nodes that can be down at " +
               "once while every accelerated VM still has a VF; its VFs are kept free for VMs that arrive by " +
               "failover or migration. Keep the recommended 50 % unless you know the failures you must " +
               "survive: less admits more VMs now, more keeps more VMs accelerated when nodes fail."));
}

function prereqTable() {
    if (!state.prereq)
        return h("p", { className: "an-muted" }, _("Checking the host…"));
    if (state.prereq.error)
        return h("p", { className: "an-error" }, errorText(state.prereq.error));
    const order = { Failed: 0, Warning: 1, Passed: 2 };
    const rows = [...state.prereq].sort((a, b) => (order[a.result] ?? 3) - (order[b.result] ?? 3));
    const problems = rows.filter(r => r.result !== "Passed");
    const passed = rows.filter(r => r.result === "Passed");
    const tbl = (id, list) =>
        h("table", { className: "an-table", "data-table": id },
          h("thead", {}, h("tr", {}, [_("Result"), _("Check"), _("Subject"), _("Evidence and remedy")].map(x => h("th", { scope: "col" }, x)))),
          h("tbody", {}, list.map(r => h("tr", { "data-result": r.result },
                                         h("td", {}, h("span", { className: `an-badge an-${r.result.toLowerCase()}` }, r.result)),
                                         h("td", {}, r.check, r.code ? h("div", { className: "an-muted" }, r.code) : null),
                                         h("td", {}, r.subject),
                                         h("td", { className: "an-detail" }, r.detail)))));
    /* failures and warnings first, each with its remedy; the passed checks folded below */
    return [
        problems.length
            ? tbl("prereq", problems)
            : h("p", { className: "an-ok", "data-table": "prereq" }, _("Every check passed.")),
        passed.length
            ? h("details", { id: "prereq-passed" },
                h("summary", {}, cockpit.format(_("$0 checks passed"), passed.length)), tbl("prereq-passed", passed))
            : null,
    ];
}

function pageSetup() {
    if (!state.prereq)
        loadPrereq().then(render);
    const enabled = !!state.props.Enabled;
    const intents = computeIntents();
    if (!state.form.intent && intents.length)
        state.form.intent = intents[0].name;
    return [
        h("section", { className: "an-card an-wide", "aria-labelledby": "pre-h" },
          h("h2", { id: "pre-h" }, _("Prerequisites")),
          h("p", {}, h("button", { type: "button", id: "recheck", onclick: () => { state.prereq = null; render() } }, _("Check again"))),
          prereqTable()),
        h("section", { className: "an-card an-wide", "aria-labelledby": "enable-h" },
          h("h2", { id: "enable-h" }, _("Enable")),
          enabled
              ? h("p", {}, cockpit.format(_("Accelerated Networking is enabled with the intent $0 and a $1 % node reserve. " +
                                            "Change them under Settings."), state.props.IntentName, state.props.NodeReservePercentage))
              : h("form", { className: "an-form", novalidate: true, onsubmit: e => { e.preventDefault(); doEnable() } },
                  h("label", { for: "setup-intent" }, _("Intent")),
                  intents.length
                      ? intentSelect("setup-intent", state.form.intent, v => { state.form.intent = v })
                      : h("p", { className: "an-error" }, _("No intent with the compute type in /etc/accelnet/intents.d.")),
                  h("p", { className: "an-help" }, _("Only intents with the compute type are listed: their adapters give VFs to VMs.")),
                  h("label", { for: "setup-reserve" }, _("Node reserve (%)")),
                  h("input", { id: "setup-reserve", type: "number", min: 0, max: 99, step: 1, value: state.form.reserve,
                               "aria-describedby": "reserve-help", oninput: e => { state.form.reserve = e.target.value } }),
                  reserveHelp(),
                  h("div", {}, h("button", { type: "submit", id: "setup-enable", disabled: state.busy || !canChange() || !intents.length },
                                 _("Enable Accelerated Networking"))))),
    ];
}

function reserveValue(text) {
    const t = String(text).trim();
    if (!/^\d+$/.test(t) || Number(t) > 99)
        throw { name: "org.freedesktop.DBus.Error.InvalidArgs",
                message: cockpit.format(_("The node reserve must be a whole number from 0 to 99, not '$0'."), t) };
    return Number(t);
}

async function act(what, fn) {
    state.busy = true;
    showAlert(null);
    render();
    try {
        const done = await fn();
        showAlert(done ? { ok: true, text: done } : null);
    } catch (ex) {
        showAlert(ex, what);
    } finally {
        state.busy = false;
        await reload();
    }
}

function doEnable() {
    return act(_("Enable"), async () => {
        await change("Enable", "su", [state.form.intent, reserveValue(state.form.reserve)]);
        state.prereq = null;
        return cockpit.format(_("Accelerated Networking is enabled with the intent $0."), state.form.intent);
    });
}

function pageSettings() {
    const p = state.props;
    if (!p.Enabled) {
        return [h("section", { className: "an-card an-wide" },
                  h("p", {}, _("Accelerated Networking is not enabled on this host.")),
                  h("button", { type: "button", onclick: () => go("setup") }, _("Set up Accelerated Networking")))];
    }
    if (state.form.setReserve === "")
        state.form.setReserve = String(p.NodeReservePercentage);
    return [
        h("section", { className: "an-card an-wide", "aria-labelledby": "set-h" },
          h("h2", { id: "set-h" }, _("Intent and node reserve")),
          h("form", { className: "an-form", novalidate: true, onsubmit: e => { e.preventDefault(); doSet() } },
            h("label", { for: "set-intent" }, _("Intent")),
            intentSelect("set-intent", state.form.setIntent, v => { state.form.setIntent = v },
                         cockpit.format(_("$0 (in force)"), p.IntentName)),
            h("label", { for: "set-reserve" }, _("Node reserve (%)")),
            h("input", { id: "set-reserve", type: "number", min: 0, max: 99, step: 1, value: state.form.setReserve,
                         "aria-describedby": "reserve-help", oninput: e => { state.form.setReserve = e.target.value } }),
            reserveHelp(),
            h("div", {}, h("button", { type: "submit", id: "set-apply", disabled: state.busy || !canChange() }, _("Apply"))))),
        h("section", { className: "an-card an-wide", "aria-labelledby": "dis-h" },
          h("h2", { id: "dis-h" }, _("Disable")),
          h("p", { id: "disable-note" },
            _("Disabling stops managing Accelerated Networking on this host. The VMs' settings are kept: " +
              "their VFs and their performance setting stay as they are, and enabling again picks them up.")),
          changeButton({ id: "disable-mgmt", className: "an-danger", "aria-describedby": "disable-note", onclick: doDisable },
                       _("Disable Accelerated Networking"))),
    ];
}

function doSet() {
    return act(_("Settings"), async () => {
        await change("Set", "su", [state.form.setIntent, reserveValue(state.form.setReserve)]);
        state.form.setIntent = "";
        state.form.setReserve = "";
        return _("Settings applied.");
    });
}

function doDisable() {
    return act(_("Disable"), async () => {
        await change("Disable", "", []);
        state.form.setReserve = "";
        return _("Accelerated Networking is disabled; the VMs' settings are kept.");
    });
}

/* ---- VM lists ---------------------------------------------------------------------------- */

function resultCell(vm) {
    const r = state.results[vm];
    if (!r)
        return "";
    if (r.ok)
        return h("span", { className: "an-result an-ok", "data-result": "ok" }, r.message);
    return h("div", { className: "an-result an-fail", "data-result": r.name || "error" },
             h("strong", {}, (r.name || "").replace(/^org\.accelnet1\.Error\./, "")),
             r.message ? h("div", { className: "an-detail" }, r.message) : null);
}

function vmList(which) {
    const enabled = which === "enabled";
    const vms = state.vms.filter(v => v.enabled === enabled);
    const sel = state.selected[which];
    for (const name of [...sel])
        if (!vms.some(v => v.name === name))
            sel.delete(name);
    const all = vms.length > 0 && vms.every(v => sel.has(v.name));
    const tierKey = enabled ? "tierSet" : "tierEnable";
    const mgmt = !!state.props.Enabled;
    /* ListVMsEx adds the VM's power state and vCPUs; without it a disabled VM shows its kept
     * performance setting and VF (a disabled VM keeps its VM settings). */
    const ex = has("ListVMsEx") && !enabled;
    const heads = [
        h("input", { type: "checkbox", id: `${which}-all`, "aria-label": _("Select all"), checked: all,
                     onchange: e => { vms.forEach(v => e.target.checked ? sel.add(v.name) : sel.delete(v.name)); render() } }),
        _("VM"), ex ? _("vCPUs") : _("Performance"), ex ? _("Power") : _("VF"), _("Note"), _("Result")];
    const rows = vms.map(v => {
        const hint = enabled ? null : eligibilityHint(v, state.form[tierKey]);
        return [
            h("input", { type: "checkbox", id: `sel-${which}-${v.name}`, "data-vm": v.name, checked: sel.has(v.name),
                         "aria-label": cockpit.format(_("Select $0"), v.name),
                         onchange: e => { e.target.checked ? sel.add(v.name) : sel.delete(v.name); render() } }),
            h("a", { href: `#/vm/${encodeURIComponent(v.name)}`, onclick: e => { e.preventDefault(); go("vm", v.name) } }, v.name),
            ex ? (v.extra.vcpus ?? "—") : (v.performance || "—"),
            ex ? (v.extra.power ?? "—") : (v.vf || "—"),
            hint ? [v.note, v.note ? " " : "", hint] : v.note,
            resultCell(v.name)];
    });
    const n = sel.size;
    return [
        h("section", { className: "an-card an-wide", "aria-labelledby": `${which}-h` },
          h("h2", { id: `${which}-h` }, enabled ? _("Enabled VMs") : _("Disabled VMs")),
          mgmt ? null : h("p", { className: "an-muted" }, _("Management is not enabled: VMs can be enabled once it is.")),
          h("div", { className: "an-toolbar" },
            h("label", { for: `${which}-tier` }, _("Performance")),
            h("select", { id: `${which}-tier`, onchange: e => { state.form[tierKey] = e.target.value; render() } },
              TIERS.map(t => h("option", { value: t, selected: state.form[tierKey] === t }, t))),
            enabled
                ? [changeButton({ id: "vms-set", disabled: !n || !mgmt, onclick: () => doBatch("set", [...sel]) },
                                cockpit.format(_("Change performance ($0)"), n)),
                   changeButton({ id: "vms-disable", disabled: !n || !mgmt, onclick: () => doBatch("disable", [...sel]) },
                                cockpit.format(_("Disable ($0)"), n))]
                : changeButton({ id: "vms-enable", disabled: !n || !mgmt, onclick: () => doBatch("enable", [...sel]) },
                               cockpit.format(_("Enable ($0)"), n))),
          table(heads, rows, `${which}-vms`, i => ({ "data-vm": vms[i].name })))];
}

/* Why a VM cannot get a VF at `tier`, from ListVMsEx's eligible_tiers (admission's static
 * checks: a virtio NIC, enough vCPUs for the tier with the host's hyperthreading); null when
 * it can, or when the daemon does not say (an older one, a VM of another node). Only a hint:
 * the VM stays selectable and enabling it shows the daemon's own message. */
function eligibilityHint(v, tier) {
    const eligible = v.extra.eligible_tiers;
    if (!Array.isArray(eligible) || eligible.includes(tier))
        return null;
    const text = v.extra.mac === ""
        ? _("no virtio NIC")
        : cockpit.format(_("too few vCPUs for $0"), tier);
    return h("span", { className: "an-hint", "data-hint": v.extra.mac === "" ? "nic" : "vcpus",
                       title: eligible.length ? cockpit.format(_("Eligible for: $0"), eligible.join(", ")) : null }, text);
}

/* One result per VM: [vm, error name ("" = done), message]. */
async function batchCall(kind, vms, tier) {
    if (kind === "enable" && has("EnableVMsEx"))
        return (await change("EnableVMsEx", "ass", [vms, tier]))[0];
    if (kind === "disable" && has("DisableVMsEx"))
        return (await change("DisableVMsEx", "as", [vms]))[0];
    if (kind === "set") {
        const out = [];
        for (const vm of vms) {
            try {
                await change("SetVM", "ss", [vm, tier]);
                out.push([vm, "", ""]);
            } catch (ex) {
                out.push([vm, ex.name || "", ex.message || ""]);
            }
        }
        return out;
    }
    const rows = kind === "enable"
        ? (await change("EnableVMs", "ass", [vms, tier]))[0]
        : (await change("DisableVMs", "as", [vms]))[0];
    /* An older daemon names only the error: asking again for the failed VMs alone gives
     * the full message (nothing changes for them: the same check fails the same way). */
    const out = [];
    for (const [vm, name] of rows) {
        let message = "";
        if (name) {
            try {
                if (kind === "enable")
                    await change("EnableVM", "ss", [vm, tier]);
                else
                    await change("DisableVM", "s", [vm]);
                out.push([vm, "", ""]);
                continue;
            } catch (ex) {
                message = ex.message || "";
            }
        }
        out.push([vm, name, message]);
    }
    return out;
}

function doBatch(kind, vms) {
    const which = kind === "enable" ? "disabled" : "enabled";
    const tier = kind === "enable" ? state.form.tierEnable : state.form.tierSet;
    const label = { enable: _("Enable"), disable: _("Disable"), set: _("Change performance") }[kind];
    return act(label, async () => {
        state.results = {}; // the rows show the last batch's results
        const rows = await batchCall(kind, vms, tier);
        let ok = 0;
        for (const [vm, name, message] of rows) {
            if (!name)
                ok++;
            state.results[vm] = name
                ? { ok: false, name, message }
                : { ok: true, message: { enable: cockpit.format(_("Enabled as $0"), tier), set: cockpit.format(_("Now $0"), tier),
                                         disable: _("Disabled") }[kind] };
            if (!name)
                state.selected[which].delete(vm);
        }
        return cockpit.format(_("$0: $1 of $2 done."), label, ok, rows.length);
    });
}

/* ---- one VM --------------------------------------------------------------------------- */

function pageVm(name) {
    const v = state.vms.find(x => x.name === name);
    const tier = state.form.explainTier;
    const key = `${name}\n${tier}`;
    let rows = state.explain[key];
    if (rows === undefined && has("ExplainVM")) {
        state.explain[key] = null;
        read("ExplainVM", "ss", [name, tier])
                .then(([r]) => { state.explain[key] = r })
                .catch(ex => {
                    if (ex.name === UNKNOWN_METHOD)
                        state.missing.add("ExplainVM");
                    state.explain[key] = { error: ex };
                })
                .finally(render);
        rows = null;
    }
    const facts = v
        ? [h("dt", {}, _("State")), h("dd", { "data-field": "vm-state" }, v.enabled ? _("Enabled") : _("Disabled")),
            h("dt", {}, _("Performance")), h("dd", {}, v.performance || "—"),
            h("dt", {}, _("VF")), h("dd", {}, v.vf || "—"),
            h("dt", {}, _("Note")), h("dd", {}, v.note || "—"),
            Object.entries(v.extra).map(([k, x]) => [h("dt", {}, k), h("dd", {}, String(x))])]
        : [h("dt", {}, _("State")), h("dd", {}, _("No such VM"))];
    let explain;
    if (!has("ExplainVM"))
        explain = h("p", { className: "an-muted" }, _("This accelnetd does not explain admissions (ExplainVM); " +
                                                       "enabling the VM shows the first check that fails."));
    else if (!rows)
        explain = h("p", { className: "an-muted" }, _("Checking…"));
    else if (rows.error)
        explain = h("p", { className: "an-error" }, errorText(rows.error));
    else
        explain = h("table", { className: "an-table", "data-table": "explain" },
                    h("thead", {}, h("tr", {}, [_("Check"), _("Result"), _("Detail")].map(x => h("th", { scope: "col" }, x)))),
                    h("tbody", {}, rows.map(r => h("tr", { "data-result": r[1] },
                                                   h("td", {}, r[0]),
                                                   h("td", {}, h("span", { className: `an-badge an-${String(r[1]).toLowerCase()}` }, r[1])),
                                                   h("td", { className: "an-detail" }, r[2])))));
    return [
        h("section", { className: "an-card an-wide", "aria-labelledby": "vm-h" },
          h("p", {}, h("button", { type: "button", id: "vm-back", onclick: () => go(v && v.enabled ? "enabled" : "disabled") },
                       _("Back to the list"))),
          h("h2", { id: "vm-h" }, name),
          h("dl", { className: "an-facts" }, facts),
          resultCell(name)),
        h("section", { className: "an-card an-wide", "aria-labelledby": "explain-h" },
          h("h2", { id: "explain-h" }, _("Admission checks")),
          h("div", { className: "an-toolbar" },
            h("label", { for: "explain-tier" }, _("For performance")),
            h("select", { id: "explain-tier", onchange: e => { state.form.explainTier = e.target.value; render() } },
              TIERS.map(t => h("option", { value: t, selected: t === tier }, t)))),
          explain)];
}

/* ---- adapters ------------------------------------------------------------------------- */

function pageAdapters() {
    const byAddr = Object.fromEntries(state.health.map(a => [a.address, a]));
    const mgmt = !!state.props.Enabled;
    const rows = state.adapters.map(a => {
        const hl = byAddr[a.address];
        const d = state.drain[a.address];
        /* ListAdaptersEx says which are drained: Drain for those in service, Restore for the
         * drained; an older daemon does not, so both are offered */
        const drained = a.extra.drained;
        const known = typeof drained === "boolean";
        return [a.ifname || "—", a.address, a.driver || "—", a.verdict, a.total, a.enabled, a.assigned,
            hl ? healthBadge(hl.state) : "—",
            /* servicing is for the adapters that give VFs (of the intent in force) and whose
             * health is watched */
            hl && a.enabled > 0 ? h("span", { className: "an-actions" },
                   known ? h("span", { className: `an-badge ${drained ? "an-warning" : "an-passed"}`,
                                       "data-service": drained ? "drained" : "in-service" },
                             drained ? _("Drained") : _("In service")) : null,
                   known && drained ? null
                       : changeButton({ "data-drain": a.address, disabled: !mgmt, onclick: () => doAdapter("DrainAdapter", a) }, _("Drain")),
                   known && !drained ? null
                       : changeButton({ "data-restore": a.address, disabled: !mgmt, onclick: () => doAdapter("RestoreAdapter", a) }, _("Restore")),
                   d ? h("span", { className: "an-muted" }, cockpit.format(_("$0 of $1 revoked"), d.done, d.total)) : null)
                : ""];
    });
    return [h("section", { className: "an-card an-wide", "aria-labelledby": "ad-h" },
              h("h2", { id: "ad-h" }, _("Adapters")),
              h("p", { className: "an-help" }, _("Drain takes every VF of an adapter back from its VMs (they keep their setting and " +
                                                  "run on virtio meanwhile) so the adapter can be serviced; Restore puts it back in service.")),
              table([_("Adapter"), _("PCI address"), _("Driver"), _("SR-IOV"), _("Total VFs"), _("Enabled"), _("Assigned"),
                  _("Health"), _("Servicing")], rows, "adapters"))];
}

function doAdapter(method, a) {
    return act(method === "DrainAdapter" ? _("Drain") : _("Restore"), async () => {
        await change(method, "s", [a.address]);
        delete state.drain[a.address];
        return cockpit.format(method === "DrainAdapter" ? _("$0 is drained.") : _("$0 is back in service."), a.ifname || a.address);
    });
}

/* ---- render ------------------------------------------------------------------------------ */

function render() {
    renderTabs();
    const main = document.getElementById("page");
    const focusId = document.activeElement && document.activeElement.id;
    const { page, arg } = route();
    let content;
    if (state.down) {
        content = [h("section", { className: "an-card an-wide", "data-daemon": "down" },
                     h("h2", {}, _("accelnetd is not running")),
                     h("p", {}, _("Nothing on this page is current while the daemon is stopped. It updates by itself " +
                                  "when accelnetd.service runs again (systemctl start accelnetd).")))];
    } else if (state.daemonError && !state.loaded) {
        content = [h("section", { className: "an-card an-wide" },
                     h("h2", {}, _("accelnetd is not reachable")),
                     h("p", { className: "an-error" }, errorText(state.daemonError)),
                     h("p", {}, _("Is the accelnet package installed and accelnetd.service running?")))];
    } else if (!state.loaded) {
        content = [h("p", { className: "an-muted" }, _("Loading…"))];
    } else {
        content = {
            overview: pageOverview, setup: pageSetup, settings: pageSettings,
            enabled: () => vmList("enabled"), disabled: () => vmList("disabled"),
            adapters: pageAdapters, vm: () => pageVm(arg || ""),
        }[page]?.() ?? pageOverview();
    }
    main.replaceChildren(...content);
    /* which of the newer methods this daemon has (for the tests, and for anyone debugging) */
    document.body.dataset.api = ["ListVMs", "ListVMsEx", "ListAdaptersEx", "ExplainVM", "EnableVMsEx", "DisableVMsEx"]
            .filter(has).join(" ");
    main.setAttribute("data-page", page);
    main.setAttribute("aria-busy", state.busy ? "true" : "false");
    const access = document.getElementById("access");
    access.textContent = state.allowed === false
        ? _("Read-only: you can see everything, changes need administrative access.")
        : "";
    if (focusId) {
        const el = document.getElementById(focusId);
        if (el)
            el.focus();
    }
}

/* ---- dark theme: Cockpit's own setting (shell:style), else the browser's ------------------ */

function applyTheme(event) {
    let style = event && event.detail && event.detail.style;
    try {
        style = style || localStorage.getItem("shell:style") || "auto";
    } catch (e) {
        style = "auto"; // no storage
    }
    const dark = style === "dark" || (style === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("pf-v5-theme-dark", dark);
    document.documentElement.classList.toggle("pf-theme-dark", dark);
}

/* ---- the daemon coming and going -------------------------------------------------------- */

let owner = null; // the unique name that owns org.accelnet1, null when none (or not known yet)

/* A client of org.accelnet1 with its proxy of the manager (the properties, and the methods
 * from the introspection data) and the signals that ask for a reload. */
function connect() {
    const client = cockpit.dbus(BUS, { bus: "system" });
    reader = client;
    client.addEventListener("owner", (event, next) => {
        if (client === reader)
            onOwner(next);
    });
    client.subscribe({ interface: IFACE, path: PATH }, (path, iface, signal, args) => {
        if (client !== reader)
            return;
        if (signal === "DrainProgress")
            state.drain[args[0]] = { done: args[1], total: args[2] };
        if (signal === "VMChanged" || signal === "HealthChanged" || signal === "DrainProgress")
            reload();
    });
    const p = client.proxy(IFACE, PATH);
    proxy = p;
    p.addEventListener("changed", () => {
        if (p !== proxy || state.down)
            return;
        state.props = { ...p.data };
        reload();
    });
    p.wait(() => {
        if (p !== proxy || state.down)
            return;
        state.props = { ...p.data };
        if (!p.valid)
            state.daemonError = { name: "", message: _("org.accelnet1 did not answer on the system bus.") };
        reload();
    });
}

function onOwner(next) {
    if (!next) {
        /* gone: nothing shown may pass for live; what the daemon said goes with it */
        owner = null;
        state.down = true;
        state.loaded = false;
        state.props = {};
        state.vms = [];
        state.nodes = [];
        state.adapters = [];
        state.health = [];
        state.drain = {};
        state.busy = false;
        render();
        return;
    }
    const restarted = state.down || (owner !== null && owner !== next);
    owner = next;
    if (!restarted)
        return;
    state.down = false;
    state.daemonError = null;
    state.missing.clear();
    state.explain = {};
    state.prereq = null;
    state.loaded = false; // "Loading…" until the new daemon's lists are read
    const old = reader;
    connect();
    old.close();
    render();
}

/* ---- start ----------------------------------------------------------------------------- */

function start() {
    applyTheme();
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyTheme());
    window.addEventListener("storage", () => applyTheme());
    window.addEventListener("cockpit-style", applyTheme);

    const perm = cockpit.permission({ admin: true });
    const onPerm = () => { state.allowed = perm.allowed; render() };
    perm.addEventListener("changed", onPerm);

    connect();
    cockpit.addEventListener("locationchanged", () => { showAlert(null); render() });
    render();
}

start();
