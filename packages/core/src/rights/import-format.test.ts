import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCsv, parseRightsJson, rightsImportJsonSchema } from './import-format.js';

describe('rights import format', () => {
  it('docs/rights-import.schema.json is the schema generated from the zod schemas', () => {
    const onDisk = JSON.parse(readFileSync(new URL('../../../../docs/rights-import.schema.json', import.meta.url), 'utf8'));
    expect(onDisk).toEqual(rightsImportJsonSchema());
  });

  it('parses any table of cells written with RFC 4180 quoting back to the same cells (property)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', ' ', 'é') , maxLength: 6 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 5 })), (table) => {
        const rows = table.filter((r) => !(r.length === 1 && r[0] === ''));
        const text = rows.map((r) => r.map((c) => (/[",\n\r]/.test(c) || c === '' ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n');
        const parsed = parseCsv(text);
        expect(parsed.problems).toEqual([]);
        expect(parsed.rows.map((r) => r.cells)).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it('numbers rows by the line they start on, multi-line cells included', () => {
    const { rows } = parseCsv('record,note\nperson,"two\nlines"\n\nperson,x\n');
    expect(rows.map((r) => r.line)).toEqual([1, 2, 5]);
  });

  it('names the path of every schema problem at once', () => {
    const r = parseRightsJson({ people: [{ id: '', name: 'A', kind: 'wizard' }], consents: [{ id: 'c', person: 'a', scopes: [], grantedOn: 'tomorrow', documentRef: 'D' }] });
    expect(r.problems.map((p) => p.where).sort()).toEqual(['consents[0].grantedOn', 'consents[0].scopes', 'people[0].id', 'people[0].kind']);
  });
});
