import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFields } from './field-selection.ts';
import { GraphError } from './graph-error.ts';

describe('parseFields', () => {
  const cases: Array<[string | undefined, unknown]> = [
    [undefined, undefined],
    ['', undefined],
    ['id,name', [{ name: 'id' }, { name: 'name' }]],
    ['id, email ,role', [{ name: 'id' }, { name: 'email' }, { name: 'role' }]],
    ['business{id,name}', [{ name: 'business', children: [{ name: 'id' }, { name: 'name' }] }]],
    ['id,assigned_ad_accounts.limit(5){id,tasks}', [{ name: 'id' }, { name: 'assigned_ad_accounts', limit: 5, children: [{ name: 'id' }, { name: 'tasks' }] }]],
    ['a{b{c}}', [{ name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] }]],
  ];
  for (const [input, expected] of cases) test(String(input), () => assert.deepEqual(parseFields(input), expected));
  for (const bad of ['business{id', 'id,{x}', 'id,na-me', 'assigned_ad_accounts.summary(true){id}', 'assigned_ad_accounts.order(reverse_chronological)', 'assigned_ad_accounts.limit(0){id}', 'assigned_ad_accounts.limit(x)']) {
    test(`syntax error: ${bad}`, () => assert.throws(() => parseFields(bad), (e: unknown) => e instanceof GraphError && e.code === 100));
  }
});
