import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listParam, parseBody, parseMultipart } from './request-params.ts';
import { GraphError } from './graph-error.ts';

describe('listParam: every list encoding Graph clients send', () => {
  const cases: Array<[string, unknown, string[] | undefined]> = [
    ['JSON array string (Python SDK)', '["ADVERTISE","ANALYZE"]', ['ADVERTISE', 'ANALYZE']],
    ['JSON array (Node SDK JSON body)', ['MANAGE', 'ADVERTISE'], ['MANAGE', 'ADVERTISE']],
    ["Python repr with spaces (curl -F)", "['MANAGE', 'ADVERTISE', 'ANALYZE']", ['MANAGE', 'ADVERTISE', 'ANALYZE']],
    ['Python repr without spaces', "['ANALYZE']", ['ANALYZE']],
    ['bare single value', 'ANALYZE', ['ANALYZE']],
    ['empty list', '[]', []],
    ['absent', undefined, undefined],
    ['empty string', '', undefined],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.deepEqual(listParam({ tasks: input }, 'tasks'), expected));
  }
  for (const bad of ["['MANAGE', ADVERTISE]", '[MANAGE', '["A",']) {
    test(`rejects ${bad} with 100`, () => {
      assert.throws(() => listParam({ tasks: bad }, 'tasks'), (e: unknown) => e instanceof GraphError && e.code === 100);
    });
  }
});

describe('parseBody by content type', () => {
  test('form-urlencoded', () => {
    const p = parseBody('application/x-www-form-urlencoded', Buffer.from('email=a%40b.example&role=EMPLOYEE'));
    assert.deepEqual(p, { email: 'a@b.example', role: 'EMPLOYEE' });
  });
  test('JSON keeps arrays as arrays', () => {
    const p = parseBody('application/json; charset=utf-8', Buffer.from('{"user":"1","tasks":["ANALYZE"]}'));
    assert.deepEqual(p, { user: '1', tasks: ['ANALYZE'] });
  });
  test('invalid JSON is 100, not a crash', () => {
    assert.throws(() => parseBody('application/json', Buffer.from('{nope')), (e: unknown) => e instanceof GraphError && e.code === 100);
  });
  test('a JSON array body is rejected', () => {
    assert.throws(() => parseBody('application/json', Buffer.from('[1]')), (e: unknown) => e instanceof GraphError && e.code === 100);
  });
  test('multipart as curl -F sends it', () => {
    const boundary = '------------------------d74496d66958873e';
    const body = [
      `--${boundary}`, 'Content-Disposition: form-data; name="user"', '', '1000000000000103',
      `--${boundary}`, 'Content-Disposition: form-data; name="tasks"', '', "['MANAGE', 'ADVERTISE', 'ANALYZE']",
      `--${boundary}--`, '',
    ].join('\r\n');
    const p = parseMultipart(`multipart/form-data; boundary=${boundary}`, Buffer.from(body));
    assert.deepEqual(p, { user: '1000000000000103', tasks: "['MANAGE', 'ADVERTISE', 'ANALYZE']" });
    assert.deepEqual(listParam(p, 'tasks'), ['MANAGE', 'ADVERTISE', 'ANALYZE']);
  });
  test('multipart without boundary is 100', () => {
    assert.throws(() => parseBody('multipart/form-data', Buffer.from('x')), (e: unknown) => e instanceof GraphError && e.code === 100);
  });
  test('empty body gives no params', () => assert.deepEqual(parseBody('application/json', Buffer.alloc(0)), {}));
});
