/**
 * The output slots are named once (src/native/slots.ts): native/slots.h must be what that
 * description renders, and the built addon must have been compiled with that header, or C would
 * write a slot TypeScript reads under another name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadNativeAddon, nativeAddon, useNativeAddon } from '../../src/native/addon.js';
import { SLOTS_HEADER_PATH, slotsHeader } from '../../src/native/slots-header.js';
import { HEAD_SLOT_COUNT, HeadSlot, SLOT_LAYOUTS, SSE_SLOT_COUNT, SseSlot } from '../../src/native/slots.js';

test('native/slots.h is generated from src/native/slots.ts', () => {
  assert.equal(
    readFileSync(SLOTS_HEADER_PATH, 'utf8'),
    slotsHeader(),
    'native/slots.h is stale: run `node --import tsx src/native/slots-header.ts`, then `npm rebuild`',
  );
});

test('slot indexes are the positions in the description, each named once', () => {
  assert.deepEqual(Object.values(SseSlot), [...Array(SSE_SLOT_COUNT).keys()]);
  assert.deepEqual(Object.values(HeadSlot), [...Array(HEAD_SLOT_COUNT).keys()]);
  assert.equal(SseSlot.countBefore, 9);
  assert.equal(HeadSlot.encodingEnd, 7);
});

test(
  'the built addon was compiled with the same slot table',
  { skip: loadNativeAddon() === null && 'addon not built' },
  () => {
    const built = loadNativeAddon()!.slots;
    const expected = Object.fromEntries(
      Object.entries(SLOT_LAYOUTS).map(([layout, { slots }]) => [
        layout,
        Object.fromEntries(Object.keys(slots).map((name, i) => [name, i])),
      ]),
    );
    assert.deepEqual(built, expected, 'build/ is stale: `npm rebuild`');
  },
);

test(
  'one switch turns every native fast path off and on',
  { skip: loadNativeAddon() === null && 'addon not built' },
  () => {
    try {
      assert.equal(useNativeAddon(false), false);
      assert.equal(nativeAddon(), null);
      assert.notEqual(loadNativeAddon(), null, 'the addon stays loaded');
      assert.equal(useNativeAddon(true), true);
      assert.equal(nativeAddon(), loadNativeAddon());
    } finally {
      useNativeAddon(true);
    }
  },
);
