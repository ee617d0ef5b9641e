import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScimError } from '../errors.ts';
import { matches, requiredEquality } from './evaluate.ts';
import { parseFilter } from './parse.ts';
import { alice, cases, invalidFilters } from './filter-cases.ts';

describe('filter: parse + evaluate', () => {
  for (const [filter, expected] of cases) {
    test(`${filter} → ${expected}`, () => assert.equal(matches(alice, parseFilter(filter)), expected));
  }

  for (const bad of invalidFilters) {
    test(`rejects ${JSON.stringify(bad)} with 400 invalidFilter`, () => {
      assert.throws(() => parseFilter(bad), (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidFilter');
    });
  }

  test('finds the equality an index can serve, at the top or under "and" only', () => {
    assert.equal(requiredEquality(parseFilter('userName eq "a@b.c"'), 'userName'), 'a@b.c');
    assert.equal(requiredEquality(parseFilter('active eq true and externalId eq "g-1"'), 'externalId'), 'g-1');
    assert.equal(requiredEquality(parseFilter('userName eq "a" or userName eq "b"'), 'userName'), undefined);
    assert.equal(requiredEquality(parseFilter('not (userName eq "a")'), 'userName'), undefined);
  });
});
