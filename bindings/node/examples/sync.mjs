// Two replicas append on their own, then exchange what the other lacks as
// bytes (a version vector one way, diff batches the other), both ways, and
// end up holding the same ops: equal digests, equal canonical orders.
//
//   node examples/sync.mjs
import { Log } from '../index.mjs';

const laptop = Log.openMemory();
const server = Log.openMemory();

laptop.append('{"role":"user","text":"hello"}', 1);
laptop.append('{"role":"tool","name":"search"}', 2);
server.append('{"role":"assistant","text":"hi there"}', 1);

// Each side sends its version vector; the other answers with the batches
// past it. Any transport carries these Buffers.
async function pull(into, from) {
  const batches = await from.diffAsync(into.versionVector());
  let applied = 0;
  for (const batch of batches) applied += (await into.applyAsync(batch)).applied.length;
  return applied;
}

console.log(`laptop <- server: ${await pull(laptop, server)} op(s)`);
console.log(`server <- laptop: ${await pull(server, laptop)} op(s)`);

const a = laptop.digest().toString('hex');
const b = server.digest().toString('hex');
console.log(`laptop digest ${a}`);
console.log(`server digest ${b}`);
const sameOrder = JSON.stringify(laptop.canonicalOrder()) === JSON.stringify(server.canonicalOrder());
console.log(a === b && sameOrder ? 'digests equal: the replicas converged' : 'digests differ');
laptop.close();
server.close();
process.exitCode = a === b && sameOrder ? 0 : 1;
