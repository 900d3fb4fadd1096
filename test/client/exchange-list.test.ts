import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ExchangeList, type ListNode } from '../../src/client/exchange-list.js';

class Node implements ListNode<Node> {
  prev0: Node | null = null;
  next0: Node | null = null;
  listed0 = false;
  prev1: Node | null = null;
  next1: Node | null = null;
  listed1 = false;
  constructor(readonly id: number) {}
}

type Op = { kind: 'add' | 'delete' | 'moveToBack'; list: 0 | 1; node: number };

const op = fc.record({
  kind: fc.constantFrom<Op['kind']>('add', 'delete', 'moveToBack'),
  list: fc.constantFrom<0 | 1>(0, 1),
  node: fc.integer({ min: 0, max: 5 }),
});

test('two exchange lists on the same nodes behave as two insertion-ordered Sets', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const nodes = Array.from({ length: 6 }, (_, i) => new Node(i));
      const lists = [new ExchangeList<Node>(0), new ExchangeList<Node>(1)];
      const models = [new Set<Node>(), new Set<Node>()];
      for (const o of ops) {
        const n = nodes[o.node];
        const list = lists[o.list];
        const model = models[o.list];
        if (o.kind === 'add') {
          list.add(n);
          model.add(n);
        } else if (o.kind === 'delete') {
          assert.equal(list.delete(n), model.delete(n));
        } else {
          list.moveToBack(n);
          model.delete(n);
          model.add(n);
        }
        for (const i of [0, 1]) {
          assert.deepEqual(
            [...lists[i]].map((x) => x.id),
            [...models[i]].map((x) => x.id),
          );
          assert.equal(lists[i].size, models[i].size);
          assert.equal(lists[i].first(), models[i].values().next().value ?? null);
          for (const x of nodes) assert.equal(lists[i].has(x), models[i].has(x));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('a walk may delete the node it is visiting', () => {
  const nodes = Array.from({ length: 5 }, (_, i) => new Node(i));
  const list = new ExchangeList<Node>(1);
  for (const n of nodes) list.add(n);
  const seen: number[] = [];
  for (const n of list) {
    seen.push(n.id);
    if (n.id % 2 === 0) list.delete(n);
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.deepEqual(
    [...list].map((n) => n.id),
    [1, 3],
  );
  // Deleted nodes hold no links: nothing the list let go of stays reachable through them.
  assert.equal(nodes[0].next1, null);
  assert.equal(nodes[2].prev1, null);
});
