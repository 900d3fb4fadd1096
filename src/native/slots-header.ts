/**
 * native/slots.h, rendered from the one slot description (src/native/slots.ts). Run this file to
 * rewrite the header after changing the description:
 *   node --import tsx src/native/slots-header.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SLOT_LAYOUTS } from './slots.js';

/** `finishStart` → `FINISH_START`. */
function constantCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** A description text as a C comment's body (a comment terminator inside would end it early). */
function comment(text: string): string {
  if (text.includes('*/')) throw new Error(`src/native/slots.ts: "*/" in a description: ${text}`);
  return text;
}

export function slotsHeader(): string {
  const lines = [
    '/*',
    ' * Generated from src/native/slots.ts by src/native/slots-header.ts: do not edit.',
    ' * The output slots of the native scanners, named once for C and TypeScript.',
    ' */',
    '#ifndef LLM_LOADGEN_SLOTS_H',
    '#define LLM_LOADGEN_SLOTS_H',
    '',
  ];
  const table: string[] = [];
  for (const [layout, { array, doc, slots }] of Object.entries(SLOT_LAYOUTS)) {
    const prefix = `${layout.toUpperCase()}_SLOT_`;
    lines.push(`/* ${comment(doc)} (${array}). */`, `enum ${layout}_slot {`);
    Object.entries(slots).forEach(([name, what], i) => {
      lines.push(`  /* ${comment(what)} */`, `  ${prefix}${constantCase(name)} = ${i},`);
      table.push(`  X("${layout}", "${name}", ${prefix}${constantCase(name)})`);
    });
    lines.push(`  ${prefix}COUNT = ${Object.keys(slots).length}`, '};', '');
  }
  lines.push(
    '/* Every slot as X(layout, name, index): the addon exports this table as `slots` (the tests compare). */',
    '#define LLM_LOADGEN_SLOTS(X) \\',
    table.join(' \\\n'),
    '',
    '#endif',
    '',
  );
  return lines.join('\n');
}

export const SLOTS_HEADER_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'native',
  'slots.h',
);

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SLOTS_HEADER_PATH, slotsHeader());
  process.stdout.write(`wrote ${SLOTS_HEADER_PATH}\n`);
}
