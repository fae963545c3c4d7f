'use strict';
// 100,000 native handles created and dropped: finalizers free every one
// (counted by the addon), and memory does not grow without bound.
const test = require('node:test');
const assert = require('node:assert/strict');
const { weft, gcFunction, tick } = require('./helpers.js');

const { Log, BatchBuilder, Session, Host, decodeAck, encodeAck } = weft;
const gc = gcFunction();

const N = 100000;

// Napi finalizers run from the event loop after a GC: collect until the
// count settles (bounded), then report it.
async function settle(target) {
  for (let i = 0; i < 50; i++) {
    gc();
    await tick();
    if (weft.liveHandles().total <= target) break;
  }
  return weft.liveHandles().total;
}

// Every kind of handle, dropped without close(); finalizers get a turn
// every 1,000 iterations, as in a program that yields to the event loop.
// One iteration in 100 also makes a non-empty log read by an iterator that
// outlives it (libweft before 3d3f602 held 1.4 MiB per such log), and
// another a session outliving its log and a host with a session.
async function churn(donor, ackBytes) {
  for (let i = 0; i < N; i++) {
    switch (i % 4) {
      case 0: Log.openMemory().actor; break;
      case 1: new BatchBuilder().setHeader({ batchId: i, seq: 1 }).finish(); break;
      case 2: encodeAck(decodeAck(ackBytes)); break;
      case 3: donor.read().next(); break;
    }
    if (i % 100 === 0) {
      // An iterator outliving its log object: the C iterator keeps the log.
      const log = Log.openMemory();
      log.append('y');
      const it = log.read();
      it.next();
    }
    if (i % 100 === 50) {
      const session = Session.connect(Log.openMemory());
      session.nextMessage();
      const host = Host.openMemory(Buffer.alloc(32, 1));
      host.issue('log', 'read');
      host.accept().info;
    }
    if (i % 1000 === 999) await tick();
  }
}

test(`${N} handles created and dropped are all freed by finalizers`, async () => {
  const donor = Log.openMemory();
  const other = Log.openMemory();
  donor.appendMany(['z', 'zz']);
  const ackBytes = encodeAck(other.apply(donor.diff()[0]));
  const baseline = await settle(0);

  await churn(donor, ackBytes);
  const afterFirst = await settle(baseline);
  assert.equal(afterFirst, baseline, `live handles: ${JSON.stringify(weft.liveHandles())}`);
  const rssFirst = process.memoryUsage().rss;

  await churn(donor, ackBytes);
  const afterSecond = await settle(baseline);
  assert.equal(afterSecond, baseline, `live handles: ${JSON.stringify(weft.liveHandles())}`);
  const rssSecond = process.memoryUsage().rss;
  // A leak of even 1 KiB per handle would add ~100 MiB here; allocator
  // noise stays far below the bound.
  const growth = (rssSecond - rssFirst) / 2 ** 20;
  assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB over a second round of ${N} handles`);
  donor.close();
  other.close();
});

test('explicitly closed handles are not freed twice by their finalizers', async () => {
  const baseline = await settle(0);
  for (let i = 0; i < 1000; i++) {
    const log = Log.openMemory();
    const it = log.read();
    it.return();
    log.close();
    const b = new BatchBuilder();
    b.close();
    const sessionLog = Log.openMemory();
    const s = Session.accept(sessionLog);
    sessionLog.close(); // the session keeps the C log until it is closed too
    s.close();
    const h = Host.openMemory(Buffer.alloc(32));
    const hs = h.accept();
    h.close();
    hs.close();
  }
  assert.equal(weft.liveHandles().total, baseline);
  assert.equal(await settle(baseline), baseline);
});
