'use strict';
// Shared by the tests: the module under test and the golden vectors.
const fs = require('node:fs');
const path = require('node:path');

const weft = require('..');

const vectorsDir = process.env.WEFT_VECTORS_DIR || path.join(__dirname, '..', '..', '..', 'tests', 'vectors');

/** [{name, type, bin, json}] for every NAME.bin + NAME.json pair. */
function vectors() {
  return fs
    .readdirSync(vectorsDir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      return {
        name,
        bin: fs.readFileSync(path.join(vectorsDir, f)),
        json: JSON.parse(fs.readFileSync(path.join(vectorsDir, name + '.json'), 'utf8')),
      };
    });
}

/** A forced garbage collection, with or without --expose-gc. */
function gcFunction() {
  if (typeof global.gc === 'function') return global.gc;
  require('node:v8').setFlagsFromString('--expose-gc');
  return require('node:vm').runInNewContext('gc');
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A fresh actor id: 16 bytes as hex, all equal to `byte`. */
const actorOf = (byte) => Buffer.alloc(16, byte).toString('hex');

module.exports = { weft, vectorsDir, vectors, gcFunction, tick, actorOf };
