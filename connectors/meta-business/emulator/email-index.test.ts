import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmailIndexedMap } from './email-index.ts';

type P = { id: string; businessId: string; email: string };

test('finds records by business and email, case-insensitively, and forgets deleted ones', () => {
  const m = new EmailIndexedMap<P>();
  m.set('1', { id: '1', businessId: 'b1', email: 'Jane@Example.com' });
  m.set('2', { id: '2', businessId: 'b2', email: 'jane@example.com' });
  assert.deepEqual(m.findByEmail('b1', 'JANE@example.COM').map((p) => p.id), ['1']);
  assert.deepEqual(m.findByEmail('b2', 'jane@example.com').map((p) => p.id), ['2']);
  m.delete('1');
  assert.deepEqual(m.findByEmail('b1', 'jane@example.com'), []);
  assert.equal(m.size, 1);
  m.clear();
  assert.deepEqual(m.findByEmail('b2', 'jane@example.com'), []);
});

test('a record set again after its email changed is found under the new email only', () => {
  const m = new EmailIndexedMap<P>();
  const p: P = { id: '1', businessId: 'b', email: 'old@example.com' };
  m.set('1', p);
  p.email = 'new@example.com';
  m.set('1', p);
  assert.deepEqual(m.findByEmail('b', 'old@example.com'), []);
  assert.deepEqual(m.findByEmail('b', 'new@example.com').map((x) => x.id), ['1']);
});
