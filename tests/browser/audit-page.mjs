// Drives a real headless Chromium (Debian's, through playwright-core) over one page written
// by `gitgrant audit --format html` and prints what it saw as one JSON object: the rows and
// timeline bars left visible by each filter, the hover text of a bar and of an approvers
// cell, whether injected markup ran, every request the page made and every console error
// (a blocked script or style shows there), then a full-page screenshot. The assertions are
// in tests/cli/audit.rs. Usage: node audit-page.mjs PLAYWRIGHT_CORE_DIR CHROMIUM PAGE SHOT
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [playwrightDir, executablePath, pagePath, shotPath] = process.argv.slice(2);
const { chromium } = createRequire(import.meta.url)(playwrightDir);
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const url = pathToFileURL(pagePath).href;
  await page.goto(url);
  const seen = async () => ({
    rows: await page.$$eval("#requests tbody tr", (rs) => rs.filter((r) => r.offsetParent !== null).map((r) => r.dataset.id)),
    bars: await page.$$eval("#timeline .bar", (bs) => bs.filter((b) => getComputedStyle(b).display !== "none").map((b) => b.dataset.id)),
    shown: await page.textContent("#shown"),
  });
  const out = { title: await page.title(), initial: await seen() };
  out.lanes = await page.$$eval("#timeline .lane-label", (ls) => ls.map((l) => l.textContent));
  out.statusOptions = await page.$$eval("#f-status option", (os) => os.map((o) => o.value));
  await page.selectOption("#f-status", "active");
  out.active = await seen();
  await page.selectOption("#f-status", "");
  await page.selectOption("#f-user", "bob");
  out.bob = await seen();
  await page.selectOption("#f-user", "");
  await page.fill("#q", "second look");
  out.text = await seen();
  await page.fill("#q", "");
  out.tipHiddenAtStart = await page.isHidden("#tip");
  const bar = (await page.$$("#timeline .bar"))[0];
  out.hoveredBar = await bar.getAttribute("data-id");
  await bar.hover();
  out.barTip = { visible: await page.isVisible("#tip"), text: await page.textContent("#tip") };
  await page.hover("#requests tbody tr td[data-tip]:not([data-tip=''])");
  out.cellTip = await page.textContent("#tip");
  out.pwned = await page.evaluate(() => window.__pwned === true);
  out.injected = await page.$$eval("body img, body iframe, body script", (xs) => xs.length);
  out.reasonCells = await page.$$eval("#requests tbody td", (ts) => ts.map((t) => t.textContent).filter((t) => t.includes("onerror")));
  await page.screenshot({ path: shotPath, fullPage: true });
  out.requests = requests.filter((r) => r !== url);
  out.errors = errors;
  process.stdout.write(JSON.stringify(out) + "\n");
} finally {
  await browser.close();
}
