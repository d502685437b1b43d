import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { adminUrlOf } from '../helpers/admin.js';
import { connectWs, type WsClient } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';

/** Debian's chromium (installed by .ci/run); playwright-core drives it, downloading nothing. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Binds the first message as the client's uid and joins a group, then echoes. */
const HANDLER = `
export default {
  async onMessage(client, message) {
    if (message.startsWith('uid:')) {
      await client.bindUid(message.slice(4));
      await client.joinGroup('room-1');
    }
    client.send(message);
  },
};
`;

let cluster: Cluster | null = null;
let browser: BrowserContext | null = null;
const dirs: string[] = [];
const clients: WsClient[] = [];
afterEach(async () => {
  await browser?.close();
  browser = null;
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await cluster?.stop();
  cluster = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function connect(n: number, url: string): Promise<void> {
  for (let i = 0; i < n; i++) clients.push(await connectWs(url));
}

describe('the live topology page, in a real headless browser', () => {
  it('shows the gateway id and its client count, which changes live as clients connect; the lookup finds a uid', async () => {
    cluster = await startCluster({ gateways: 1, workers: 2, handler: HANDLER, sections: { admin: { listen: '127.0.0.1:0' } }, logLevel: 'warn' });
    const base = await adminUrlOf(cluster);
    const tree = (await (await fetch(new URL('api/tree', base))).json()) as { processes: { gateway?: { gatewayId: string } }[] };
    const gatewayId = tree.processes.find((p) => p.gateway !== undefined)?.gateway?.gatewayId;
    expect(gatewayId).toMatch(/^[0-9a-z]{12}$/);

    await connect(2, cluster.wsUrl);
    const profile = mkdtempSync(join(tmpdir(), 'gw-chromium-'));
    dirs.push(profile);
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) failed.push(`off-origin request: ${r.url()}`);
    });
    await page.goto(base);
    const card = page.locator(`[data-gateway-id="${gatewayId}"]`);
    await card
      .locator('.gateway-id')
      .filter({ hasText: gatewayId as string })
      .waitFor({ timeout: 10_000 });
    // Page-side expressions are strings: they run in the browser, not under Node's types.
    const clientsShown = (n: number) => `document.querySelector('[data-gateway-id="${gatewayId}"] .clients')?.textContent === '${n}'`;
    await page.waitForFunction(clientsShown(2), undefined, { timeout: 10_000 });
    await page.evaluate('window.marker = 42');

    await connect(3, cluster.wsUrl);
    await page.waitForFunction(clientsShown(5), undefined, { timeout: 10_000 });
    // Same document: it changed without a reload.
    expect(await page.evaluate('window.marker')).toBe(42);
    expect(await page.locator('#readiness').textContent()).toBe('ready');

    clients[0]!.send('uid:alice');
    expect(await clients[0]!.next()).toBe('uid:alice');
    await page.fill('#lookup-query', 'alice');
    await page.click('#lookup-form button');
    const row = page.locator('#lookup-table tbody tr');
    await row.first().waitFor({ timeout: 10_000 });
    expect(await row.count()).toBe(1);
    const cells = await row.first().locator('td').allTextContents();
    expect(cells[0]).toMatch(new RegExp(`^${gatewayId}`));
    expect(cells[1]).toBe(gatewayId);
    expect(cells[2]).toBe(cluster.listeners[0]);
    expect(cells[4]).toBe('alice');
    expect(cells[5]).toBe('room-1');

    // A second update cycle so the rates show, then keep a screenshot when asked (docs/admin-topology.png).
    await page.waitForFunction(`!document.querySelector('#gateways dd:nth-of-type(6)')?.textContent?.includes('—')`, undefined, { timeout: 10_000 });
    const shot = process.env['UPDATE_SCREENSHOT'] === '1' ? resolve(import.meta.dirname, '../../docs/admin-topology.png') : join(profile, 'page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(failed).toEqual([]);
  }, 60_000);
});
