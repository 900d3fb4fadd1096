// The part of a GGUF file that a tokenizer is made from: the digest of its `tokenizer.*` metadata
// (vocabulary, scores, token types, special ids, chat template), read without loading the tensors.
// scripts/llama-server.mjs keys the generated tokenizer.json by it, so a changed vocabulary or
// template makes a new one. GGUF layout: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Bytes of each fixed-size GGUF value type (8 = string and 9 = array are variable). */
const FIXED_SIZES = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** sha256 (hex) over the raw bytes of every `tokenizer.*` key-value pair, in file order. */
export function ggufTokenizerDigest(file) {
  const fd = openSync(file, 'r');
  try {
    // Buffered in 1 MB windows: a 32k vocabulary is 64k small reads (95 ms unbuffered, 30 ms so).
    let pos = 0;
    let buf = Buffer.alloc(0);
    let bufStart = 0;
    const read = (n) => {
      if (pos < bufStart || pos + n > bufStart + buf.length) {
        const want = Math.max(n, 1 << 20);
        const b = Buffer.allocUnsafe(want);
        const got = readSync(fd, b, 0, want, pos);
        if (got < n) throw new Error(`${file}: ends inside its GGUF metadata`);
        buf = b.subarray(0, got);
        bufStart = pos;
      }
      const out = buf.subarray(pos - bufStart, pos - bufStart + n);
      pos += n;
      return out;
    };
    const u32 = () => read(4).readUInt32LE(0);
    const u64 = () => Number(read(8).readBigUInt64LE(0));
    if (read(4).toString('latin1') !== 'GGUF') throw new Error(`${file}: not a GGUF file`);
    const version = u32();
    if (version < 2) throw new Error(`${file}: GGUF version ${version}; 2 or later is needed`);
    u64(); // tensor count
    const kvCount = u64();
    const skipValue = (type) => {
      if (type === 8) {
        read(u64());
      } else if (type === 9) {
        const elem = u32();
        const count = u64();
        if (elem in FIXED_SIZES) read(FIXED_SIZES[elem] * count);
        else for (let i = 0; i < count; i++) skipValue(elem);
      } else if (type in FIXED_SIZES) {
        read(FIXED_SIZES[type]);
      } else {
        throw new Error(`${file}: unknown GGUF value type ${type}`);
      }
    };
    const hash = createHash('sha256');
    for (let i = 0; i < kvCount; i++) {
      const start = pos;
      const key = read(u64()).toString('utf8');
      skipValue(u32());
      if (key.startsWith('tokenizer.')) {
        const end = pos;
        pos = start;
        hash.update(read(end - start));
      }
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}
