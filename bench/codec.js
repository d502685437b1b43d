#!/usr/bin/env node
/**
 * Codec benchmark: hot-path encode + decode throughput of the internal protocol, against the same
 * messages encoded as whole objects with msgpackr, measured side by side in one run.
 *
 *   npx tsc -b && node bench/codec.js [--seconds 1]
 *
 * Imports the BUILT package (@gateworker/protocol resolves to packages/protocol/dist).
 * `run({ seconds })` is exported for bench/run.js; run directly, it prints one JSON line
 * (`{"scenario":"codec",...}`) and a readable table.
 *
 * Cases, each for 64 B and 4 KiB payloads:
 * - ClientMessage (gateway → worker): encodeClientMessage, then FrameDecoder.push + decodeMessage.
 * - SendToClient (worker → gateway): encodeSendToClient, then FrameDecoder.push + decodeMessage.
 * - baseline: msgpackr pack + unpack of { op, seq, client, binary, payload } (no framing, which
 *   favours msgpackr slightly).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Packr } from 'msgpackr';
import { decodeMessage, encodeClientMessage, encodeSendToClient, FrameDecoder, Op } from '@gateworker/protocol';

const DEFAULT_SECONDS = 1;
/** Iterations between clock reads. */
const BATCH = 1_000;
const PAYLOAD_SIZES = [64, 4096];

/**
 * Runs `step` in batches until `seconds` have passed (after a short warm-up), returns messages/s.
 * `step` returns a number that is summed, so the work cannot be optimised away.
 */
function measure(step, seconds) {
  let sink = 0;
  const warmupEnd = process.hrtime.bigint() + BigInt(Math.round(Math.min(0.2, seconds / 5) * 1e9));
  let i = 0;
  while (process.hrtime.bigint() < warmupEnd) for (let k = 0; k < BATCH; k++) sink += step(i++);
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  let now = start;
  while (now < end) {
    for (let k = 0; k < BATCH; k++) sink += step(i++);
    count += BATCH;
    now = process.hrtime.bigint();
  }
  const elapsedS = Number(now - start) / 1e9;
  if (sink === -1) console.log(sink); // keep `sink` alive
  return { messagesPerSec: Math.round(count / elapsedS), nsPerMessage: Math.round((elapsedS * 1e9) / count), count };
}

/** One client number in the middle of the u48 range, a seq that grows as on a real link. */
const CLIENT = 123_456_789;

function hotClientMessage(payload) {
  const decoder = new FrameDecoder();
  let got = 0;
  const onFrame = (frame) => {
    const m = decodeMessage(frame);
    got = m.op === Op.ClientMessage ? m.payload.length + m.seq : -2;
  };
  return (i) => {
    decoder.push(encodeClientMessage((i + 1) >>> 0, CLIENT, null, false, payload), onFrame);
    return got;
  };
}

function hotSendToClient(payload) {
  const decoder = new FrameDecoder();
  let got = 0;
  const onFrame = (frame) => {
    const m = decodeMessage(frame);
    got = m.op === Op.SendToClient ? m.payload.length + m.client : -2;
  };
  return () => {
    decoder.push(encodeSendToClient(CLIENT, false, payload), onFrame);
    return got;
  };
}

function msgpackrWhole(op, payload) {
  // Same settings as the protocol's control messages (plain maps, no records).
  const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' });
  return (i) => {
    const bytes = packr.pack({ op, seq: (i + 1) >>> 0, client: CLIENT, binary: false, payload });
    const m = packr.unpack(bytes);
    return m.payload.length + m.seq;
  };
}

/** Runs every case and returns the results (no printing). */
export async function run({ seconds = DEFAULT_SECONDS } = {}) {
  const cases = [];
  for (const [message, direction, op, hot] of [
    ['ClientMessage', 'gateway→worker', Op.ClientMessage, hotClientMessage],
    ['SendToClient', 'worker→gateway', Op.SendToClient, hotSendToClient],
  ]) {
    for (const size of PAYLOAD_SIZES) {
      const payload = Buffer.alloc(size, 0x61);
      const fixedHeader = measure(hot(payload), seconds);
      const msgpackr = measure(msgpackrWhole(op, payload), seconds);
      cases.push({
        message,
        direction,
        payloadBytes: size,
        fixedHeader,
        msgpackr,
        ratio: Math.round((fixedHeader.messagesPerSec / msgpackr.messagesPerSec) * 100) / 100,
      });
    }
  }
  return { scenario: 'codec', node: process.version, secondsPerCase: seconds, cases };
}

function table(result) {
  const rows = [['message', 'direction', 'payload', 'fixed header msg/s', 'msgpackr msg/s', 'ratio']];
  for (const c of result.cases) {
    rows.push([
      c.message,
      c.direction,
      `${c.payloadBytes} B`,
      c.fixedHeader.messagesPerSec.toLocaleString('en-US'),
      c.msgpackr.messagesPerSec.toLocaleString('en-US'),
      `${c.ratio.toFixed(2)}x`,
    ]);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) => r.map((cell, col) => (col >= 3 ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  ')).join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: String(DEFAULT_SECONDS) } } });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) {
    console.error(`--seconds must be a positive number, got "${values.seconds}"`);
    process.exit(2);
  }
  const result = await run({ seconds });
  console.log(JSON.stringify(result));
  console.log(`\ncodec: encode + decode, ${seconds} s per case (${result.node}); ratio = fixed header / msgpackr\n`);
  console.log(table(result));
}
