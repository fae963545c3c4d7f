// ESM entry: the CommonJS module re-exported, so `import` and `require`
// share one addon instance and one WeftError class.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const weft = require('./index.js');

export const {
  Log,
  OpIterator,
  BatchBuilder,
  Session,
  Host,
  WeftError,
  Status,
  decodeBatch,
  decodeChunk,
  decodeAck,
  encodeAck,
  chunkVerify,
  statusName,
  liveHandles,
  runConformance,
  newSecret,
  issueToken,
  verifyToken,
  retryWaitMs,
  version,
  versionNumber,
  headerVersionNumber,
} = weft;
export default weft;
