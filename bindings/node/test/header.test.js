'use strict';
// Every function weft.h and weft/sys/weft_sys.h declare is called by the
// addon (the README says "every function in weft.h is used"), and the
// header's version is the library's.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { weft } = require('./helpers.js');

const includeDir = process.env.WEFT_INCLUDE_DIR || path.join(__dirname, '..', '..', '..', 'include');
const header = fs.readFileSync(path.join(includeDir, 'weft', 'weft.h'), 'utf8');
const sysHeader = fs.readFileSync(path.join(includeDir, 'weft', 'sys', 'weft_sys.h'), 'utf8');
// The addon's code without its comments (which name functions freely).
const addon = fs
  .readFileSync(path.join(__dirname, '..', 'src', 'weft_node.c'), 'utf8')
  .replace(/\/\*[\s\S]*?\*\//g, ' ')
  .replace(/\/\/.*$/gm, ' ');

/** The functions weft.h declares: `WEFT_API <type> <name>(` on one line. */
function declaredFunctions(text) {
  const names = [];
  for (const line of text.split('\n')) {
    const m = /^WEFT_API\b[^(]*?\b(weft_[a-z0-9_]+)\s*\(/.exec(line.trim());
    if (m) names.push(m[1]);
  }
  return names;
}

/** Declared functions the addon neither calls nor passes as a pointer (WEFT_INIT(fn, p), a table). */
const unusedIn = (declared) => declared.filter((name) => !new RegExp(`\\b${name}\\b`).test(addon));

test('the addon calls every function weft.h declares', () => {
  const declared = declaredFunctions(header);
  assert.ok(declared.length >= 80, `only ${declared.length} functions found in weft.h`);
  const unused = unusedIn(declared);
  assert.deepEqual(unused, [], `weft.h functions the addon does not wrap: ${unused.join(', ')}`);
});

test('the addon includes weft/sys/weft_sys.h and calls every function it declares', () => {
  assert.match(addon, /#include\s*<weft\/sys\/weft_sys\.h>/);
  const declared = declaredFunctions(sysHeader);
  assert.ok(declared.length >= 12, `only ${declared.length} functions found in weft_sys.h`);
  const unused = unusedIn(declared);
  assert.deepEqual(unused, [], `weft_sys.h functions the addon does not wrap: ${unused.join(', ')}`);
});

test('the header the addon was built against is the one read here', () => {
  const m = /#define WEFT_VERSION_NUMBER (\d+)/.exec(header);
  assert.ok(m);
  assert.equal(weft.headerVersionNumber, Number(m[1]));
});
