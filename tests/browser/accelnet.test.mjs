// The Cockpit page as a person uses it, in headless Chromium (Playwright), one step after the
// other on one daemon: run by run_browser.py, which starts the bus, accelnetd on the simulated
// host and cockpit-ws, and passes their addresses in the environment. After each step the
// overview's counts are compared with `accelnetctl status`; a change made with accelnetctl
// must show up without a reload (the page follows the daemon's signals).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import path from "node:path";

const require = createRequire(path.join(process.env.ACCELNET_NPM_DIR, "node_modules", "x.js"));
const { chromium } = require("playwright-core");

const URL = process.env.ACCELNET_URL;
const SHOTS = process.env.ACCELNET_SCREENSHOT_DIR;
const WAIT = { timeout: 10000 };

let context;
let page;
const pageErrors = [];

function ctl(...args) {
    return execFileSync(process.env.ACCELNETCTL, args, { encoding: "utf8", env: process.env });
}

function status() {
    return JSON.parse(ctl("status", "--json"));
}

async function shot(name) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function tab(id) {
    await page.click(`#tab-${id}`);
    await page.waitForSelector(`main[data-page="${id}"]`, WAIT);
}

async function idle() {
    await page.waitForSelector('main[aria-busy="false"]', WAIT);
}

// The overview's numbers and state equal accelnetctl's (waiting for the page to catch up: the
// daemon's signals arrive after its reply to whoever made the change).
async function assertOverviewMatchesStatus(where) {
    await tab("overview");
    const s = status();
    const want = { capacity: String(s.capacity_vfs), usable: String(s.usable_vfs), assigned: String(s.assigned_vfs),
                   enabled: s.enabled ? "Enabled" : "Not enabled" };
    let got;
    const deadline = Date.now() + 5000;
    for (;;) {
        got = {
            capacity: await page.textContent('[data-count="capacity"]'),
            usable: await page.textContent('[data-count="usable"]'),
            assigned: await page.textContent('[data-count="assigned"]'),
            enabled: await page.textContent('[data-field="enabled"]'),
        };
        if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline)
            break;
        await page.waitForTimeout(50);
    }
    assert.deepEqual(got, want, `${where}: the overview against accelnetctl status`);
    if (s.enabled) {
        assert.equal(await page.textContent('[data-field="intent"]'), s.intent_name, `${where}: intent`);
        assert.equal(await page.textContent('[data-field="reserve"]'), `${s.node_reserve_percentage} %`, `${where}: reserve`);
    }
}

// Stops or starts accelnetd (run_browser.py's control endpoint).
async function daemon(what) {
    const r = await fetch(`${process.env.ACCELNET_CONTROL_URL}/daemon/${what}`, { method: "POST" });
    assert.equal(r.status, 200, `daemon ${what}: ${r.status} ${r.statusText}`);
    return r.text();
}

async function rowOf(list, vm) {
    return page.locator(`table[data-table="${list}-vms"] tr[data-vm="${vm}"]`);
}

before(async () => {
    context = await chromium.launchPersistentContext(process.env.ACCELNET_PROFILE, {
        executablePath: process.env.ACCELNET_CHROMIUM,
        headless: true,
        viewport: { width: 1024, height: 768 },
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    });
    page = context.pages()[0] || await context.newPage();
    page.on("pageerror", e => { pageErrors.push(e.message); console.log("page error:", e.message) });
    await page.goto(URL);
    await page.waitForSelector('[data-count="capacity"]', WAIT);
});

after(async () => {
    if (context)
        await context.close();
});

test("the overview of a host that is not enabled", async () => {
    await assertOverviewMatchesStatus("at start");
    assert.equal(await page.textContent('[data-field="enabled"]'), "Not enabled");
    // the page reads the daemon's introspection data to find the newer methods (ExplainVM,
    // EnableVMsEx, ...) and falls back without them: it must at least find the old ones
    const api = await page.getAttribute("body", "data-api");
    assert.match(api, /\bListVMs\b/, `the methods the page found: ${api}`);
    console.log(`# the daemon's optional methods the page uses: ${api}`);
    await shot("overview-not-enabled");
});

test("set up: prerequisites, failures first; only compute intents; a bad intent's error", async () => {
    await tab("setup");
    await page.waitForSelector('table[data-table="prereq-passed"]', { ...WAIT, state: "attached" });
    const results = await page.$$eval('table[data-table^="prereq"] tbody tr', rows => rows.map(r => r.dataset.result));
    const rank = { Failed: 0, Warning: 1, Passed: 2 };
    assert.deepEqual(results, [...results].sort((a, b) => rank[a] - rank[b]), "failures first, then warnings");
    assert.ok(results.includes("Passed") && results.includes("Failed"), `prerequisites: ${results}`);
    assert.ok(!await page.isVisible('table[data-table="prereq-passed"]'), "the passed checks are folded");
    const failed = page.locator('table[data-table="prereq"] tr[data-result="Failed"]').first();
    assert.match(await failed.textContent(), /Remedy|remedy|load|use/, "a failure shows its remedy");
    const options = await page.$$eval("#setup-intent option", os => os.map(o => o.value));
    assert.deepEqual(options.sort(), ["compute", "edge"], "the storage intent (no compute type) is not offered");
    assert.equal(await page.inputValue("#setup-reserve"), "50", "the default reserve");
    assert.match(await page.textContent("#reserve-help"), /recommended 50/);
    // a reserve outside 0-99 is refused by name, and nothing is sent
    await page.fill("#setup-reserve", "120");
    await page.click("#setup-enable");
    await idle();
    await page.waitForSelector("#alert [data-error]", WAIT);
    assert.match(await page.textContent("#alert"), /0 to 99, not '120'/);
    assert.equal(status().enabled, false);
    await page.fill("#setup-reserve", "50");
    // "edge" has only ens3, behind a switch port without ACS: the seed's error
    await page.selectOption("#setup-intent", "edge");
    await page.click("#setup-enable");
    await idle();
    const err = page.locator("#alert [data-error]");
    await err.waitFor(WAIT);
    assert.equal(await err.getAttribute("data-error"), "org.accelnet1.Error.SriovSupportMissingAcs");
    assert.match(await err.textContent(), /ACS/);
    await shot("setup-bad-intent");
    assert.equal(status().enabled, false, "nothing enabled by the failed attempt");
    await assertOverviewMatchesStatus("after the bad intent");
});

test("set up with a good intent (keyboard only)", async () => {
    await tab("setup");
    await page.focus("#setup-intent");
    await page.selectOption("#setup-intent", "compute");
    await page.focus("#setup-reserve");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("50");
    await page.keyboard.press("Enter");   // submits the form
    await idle();
    await page.waitForSelector("#alert.an-ok", WAIT);
    const s = status();
    assert.equal(s.enabled, true);
    assert.equal(s.intent_name, "compute");
    await assertOverviewMatchesStatus("after enabling");
    await shot("overview");
});

test("Disabled VMs: those that cannot get a VF at the chosen tier are marked, still selectable", async () => {
    await tab("disabled");
    const api = await page.getAttribute("body", "data-api");
    assert.match(api, /\bListVMsEx\b/, `the methods the page found: ${api}`);
    const hints = async () => Object.fromEntries(await page.$$eval('table[data-table="disabled-vms"] tbody tr[data-vm]',
        rows => rows.map(r => [r.dataset.vm, r.querySelector("[data-hint]")?.textContent ?? ""])));
    await page.selectOption("#disabled-tier", "Medium");
    // the simulated host, hyperthreading off: Medium needs 2 vCPUs, High 4
    assert.deepEqual(await hints(), { batch: "", db1: "", nonic: "no virtio NIC", tiny: "too few vCPUs for Medium",
                                      web1: "", web2: "" });
    await page.selectOption("#disabled-tier", "High");
    assert.deepEqual(await hints(), { batch: "", db1: "", nonic: "no virtio NIC", tiny: "too few vCPUs for High",
                                      web1: "too few vCPUs for High", web2: "" });
    assert.equal(await page.isDisabled("#sel-disabled-tiny"), false, "the too small VM can still be selected");
    await shot("disabled-vms-hints");
});

test("enable three disabled VMs as Medium: two move, the too small one says why", async () => {
    await tab("disabled");
    for (const vm of ["web2", "batch", "tiny"])
        await page.check(`#sel-disabled-${vm}`);
    await page.selectOption("#disabled-tier", "Medium");
    assert.equal(await page.textContent("#vms-enable"), "Enable (3)");
    await page.click("#vms-enable");
    await idle();
    const tiny = await rowOf("disabled", "tiny");
    const result = tiny.locator("[data-result]");
    await result.waitFor(WAIT);
    assert.equal(await result.getAttribute("data-result"), "org.accelnet1.Error.VmNotEnoughVcpus");
    const text = await result.textContent();
    // with EnableVMsEx the batch itself gives the message; without it the page asks EnableVM
    // again for the failed VM alone: either way the row has the daemon's full message
    assert.match(text, /has 1 vCPU/, "the full message, not only the error name");
    assert.match(text, /at least 2/, "the message names the minimum");
    await shot("disabled-vms");
    const listed = JSON.parse(ctl("vm", "list", "--enabled", "--json"));
    const names = (Array.isArray(listed) ? listed : listed.vms).map(v => v.vm || v.name).sort();
    assert.deepEqual(names, ["batch", "web2"]);
    await tab("enabled");
    for (const vm of ["web2", "batch"])
        assert.equal(await (await rowOf("enabled", vm)).count(), 1, `${vm} is in Enabled VMs`);
    await shot("enabled-vms");
    await assertOverviewMatchesStatus("after enabling VMs");
    const fill = await page.$eval(".an-bar-fill", el => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width);
    const s = status();
    assert.ok(Math.abs(fill - s.assigned_vfs / s.usable_vfs) < 0.02, `the bar shows assigned of usable (${fill})`);
});

test("change a tier", async () => {
    await tab("enabled");
    await page.check("#sel-enabled-web2");
    await page.selectOption("#enabled-tier", "High");
    await page.click("#vms-set");
    await idle();
    const row = await rowOf("enabled", "web2");
    await row.locator('[data-result="ok"]').waitFor(WAIT);
    assert.match(await row.textContent(), /High/);
    assert.match(ctl("vm", "list", "--enabled"), /web2\s+enabled\s+High/i);
    await assertOverviewMatchesStatus("after the tier change");
});

test("a change made with accelnetctl appears without a reload", async () => {
    await tab("enabled");
    let reloaded = false;
    const onLoad = () => { reloaded = true };
    page.on("load", onLoad);
    ctl("vm", "enable", "web1", "--performance", "low");
    await (await rowOf("enabled", "web1")).waitFor(WAIT);
    ctl("set", "--node-reserve", "25");
    await assertOverviewMatchesStatus("after accelnetctl set");
    assert.equal(await page.textContent('[data-field="reserve"]'), "25 %");
    await shot("overview-in-use");
    page.off("load", onLoad);
    assert.equal(reloaded, false, "the page was not reloaded");
});

test("the page survives a restart of accelnetd, without a reload", async () => {
    await assertOverviewMatchesStatus("before the restart");
    let reloaded = false;
    const onLoad = () => { reloaded = true };
    page.on("load", onLoad);
    const errors = pageErrors.length;
    const consoleErrors = [];
    const onConsole = m => { if (m.type() === "error") consoleErrors.push(m.text()) };
    page.on("console", onConsole);
    let stopped = false;
    try {
        stopped = true;
        assert.equal(await daemon("stop"), "0", "accelnetd exits 0 on SIGTERM");
        await page.waitForSelector('[data-daemon="down"]', WAIT);
        assert.match(await page.textContent("main"), /accelnetd is not running/);
        assert.equal(await page.locator("[data-count]").count(), 0, "no numbers shown as live");
        await shot("daemon-stopped");
        // every page says so, none shows the old lists
        for (const id of ["enabled", "adapters", "overview"]) {
            await tab(id);
            assert.equal(await page.locator('[data-daemon="down"]').count(), 1, `${id}: the daemon is down`);
            assert.equal(await page.locator("table").count(), 0, `${id}: no tables of the stopped daemon`);
        }
        await daemon("start");
        stopped = false;
        await page.waitForSelector('[data-count="capacity"]', WAIT);
        await assertOverviewMatchesStatus("after the restart");
        await tab("enabled");
        await (await rowOf("enabled", "web1")).waitFor(WAIT);
        assert.match(await page.getAttribute("body", "data-api"), /\bListVMsEx\b.*\bExplainVM\b/,
                     "the new daemon's methods are found again");
        // and it follows the new daemon's signals
        ctl("vm", "disable", "web1");
        await (await rowOf("enabled", "web1")).waitFor({ ...WAIT, state: "detached" });
        ctl("vm", "enable", "web1", "--performance", "low");
        await (await rowOf("enabled", "web1")).waitFor(WAIT);
    } finally {
        page.off("load", onLoad);
        page.off("console", onConsole);
        if (stopped)
            await daemon("start"); // the next tests need it
    }
    assert.equal(reloaded, false, "the page was not reloaded");
    assert.deepEqual(pageErrors.slice(errors), [], "no uncaught errors in the page");
    assert.deepEqual(consoleErrors, [], "no errors on the console");
});

test("Cockpit's shell lists the page in its menu and shows it in its frame", async () => {
    const shell = await context.newPage();
    try {
        await shell.goto(process.env.ACCELNET_SHELL_URL);
        const frame = shell.frameLocator('iframe[name="cockpit1:localhost/accelnet"]');
        await frame.locator('[data-count="capacity"]').waitFor({ timeout: 20000 });
        assert.ok(await shell.getByRole("link", { name: "Accelerated Networking" }).count() > 0, "the menu entry");
        await shell.screenshot({ path: path.join(SHOTS, "shell.png") });
    } finally {
        await shell.close();
    }
});

test("an unprivileged user sees everything, read-only", async () => {
    const ro = await context.newPage();
    try {
        await ro.goto(process.env.ACCELNET_RO_URL);
        await ro.waitForSelector('[data-count="capacity"]', WAIT);
        await ro.waitForFunction(() => /Read-only/.test(document.getElementById("access").textContent), null, WAIT);
        const s = status();
        assert.equal(await ro.textContent('[data-count="assigned"]'), String(s.assigned_vfs), "the same counts");
        await ro.click("#tab-enabled");
        await ro.waitForSelector('table[data-table="enabled-vms"] tr[data-vm="web2"]', WAIT);
        await ro.check("#sel-enabled-web2");
        assert.equal(await ro.isDisabled("#vms-set"), true, "no tier change");
        assert.equal(await ro.isDisabled("#vms-disable"), true, "no disable");
        await ro.click("#tab-settings");
        await ro.waitForSelector("#set-apply", WAIT);
        assert.equal(await ro.isDisabled("#set-apply"), true, "no settings change");
        assert.equal(await ro.isDisabled("#disable-mgmt"), true, "no disable");
        await ro.screenshot({ path: path.join(SHOTS, "read-only.png"), fullPage: true });
    } finally {
        await ro.close();
    }
});

test("a VM's detail and the adapters", async () => {
    await tab("enabled");
    await page.click('table[data-table="enabled-vms"] tr[data-vm="web2"] a');
    await page.waitForSelector('main[data-page="vm"]', WAIT);
    assert.equal(await page.textContent('[data-field="vm-state"]'), "Enabled");
    await page.waitForFunction(() => !document.querySelector("main").textContent.includes("Checking…"), null, WAIT);
    const api = await page.getAttribute("body", "data-api");
    if (/\bExplainVM\b/.test(api)) {
        // a daemon with ExplainVM: one row per admission check, each Passed, Warning or Failed
        const results = await page.$$eval('table[data-table="explain"] tbody tr', rows => rows.map(r => r.dataset.result));
        assert.ok(results.length > 0 && results.every(r => ["Passed", "Warning", "Failed"].includes(r)),
                  `ExplainVM rows: ${results}`);
    } else {
        assert.match(await page.textContent("main"), /does not explain admissions/);
    }
    await shot("vm-detail");
    await tab("adapters");
    await page.waitForSelector('table[data-table="adapters"] tbody tr', WAIT);
    assert.match(await page.getAttribute("body", "data-api"), /\bListAdaptersEx\b/);
    const ens2f1 = 'table[data-table="adapters"] tr:has([data-drain="0000:03:00.1"], [data-restore="0000:03:00.1"])';
    // in service: Drain offered, not Restore, and the state shown
    const offered = async () => ({
        drain: await page.locator('[data-drain="0000:03:00.1"]').count(),
        restore: await page.locator('[data-restore="0000:03:00.1"]').count(),
        state: await page.locator(`${ens2f1} [data-service]`).getAttribute("data-service"),
    });
    assert.deepEqual(await offered(), { drain: 1, restore: 0, state: "in-service" }, "drain offered for an adapter of the intent");
    assert.equal(await page.locator('[data-drain="0000:07:00.0"]').count(), 0, "not for one without VFs (ens3, no ACS)");
    assert.equal(await page.locator('[data-restore="0000:07:00.0"]').count(), 0);
    await shot("adapters");
    await page.click('[data-drain="0000:03:00.1"]');
    await idle();
    await page.waitForSelector("#alert.an-ok", WAIT);
    assert.match(await page.textContent("#alert"), /ens2f1 is drained/);
    // drained: only Restore
    await page.waitForSelector('[data-restore="0000:03:00.1"]', WAIT);
    assert.deepEqual(await offered(), { drain: 0, restore: 1, state: "drained" }, "a drained adapter: only Restore");
    assert.match(await page.textContent(ens2f1), /Drained/);
    await shot("adapters-drained");
    await page.click('[data-restore="0000:03:00.1"]');
    await idle();
    await page.waitForFunction(() => /back in service/.test(document.getElementById("alert").textContent), null, WAIT);
    // back in service: only Drain
    await page.waitForSelector('[data-drain="0000:03:00.1"]', WAIT);
    assert.deepEqual(await offered(), { drain: 1, restore: 0, state: "in-service" }, "restored: only Drain");
});

test("disable: the note says the VMs keep their settings", async () => {
    await tab("settings");
    assert.match(await page.textContent("#disable-note"), /settings are kept/);
    await shot("settings");
    await page.click("#disable-mgmt");
    await idle();
    await page.waitForSelector("#alert.an-ok", WAIT);
    assert.equal(status().enabled, false);
    await assertOverviewMatchesStatus("after disabling");
});

test("dark theme; every page fits 1024 px", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await tab("overview");
    const dark = await page.evaluate(() => document.documentElement.classList.contains("pf-v5-theme-dark"));
    assert.ok(dark, "the dark theme follows prefers-color-scheme");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(bg, "rgb(240, 240, 240)");
    await shot("overview-dark");
    for (const id of ["overview", "setup", "settings", "enabled", "disabled", "adapters"]) {
        await tab(id);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 1024, `${id}: no horizontal scrolling at 1024 px (${width})`);
    }
    // Cockpit's own setting (the shell's "shell:style") wins over the browser's
    await page.evaluate(() => window.dispatchEvent(new CustomEvent("cockpit-style", { detail: { style: "light" } })));
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains("pf-v5-theme-dark")), false);
    await page.emulateMedia({ colorScheme: "light" });
});
