import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScimError } from '../errors.ts';
import { matches, requiredEquality } from './evaluate.ts';
import { MAX_FILTER_DEPTH, MAX_FILTER_TERMS, parseFilter } from './parse.ts';
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

  test('the enterprise URN as Microsoft\'s SCIM tutorial misspells it (…:2.0User) names the same extension', () => {
    assert.equal(matches(alice, parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0User:employeeNumber eq "42"')), true);
    assert.equal(matches(alice, parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0User:manager.value eq "u-8"')), false);
  });
});

describe('filter: externalId is caseExact (RFC 7643 §3.1), other strings are not', () => {
  // An Okta user id (mixed-case base62) and the one differing only in case are two people.
  const u = { externalId: '00uAbCdE1', userName: 'Ada@Example.com' };
  test('eq, ne, co/sw/ew and ordering on externalId respect case', () => {
    assert.equal(matches(u, parseFilter('externalId eq "00uAbCdE1"')), true);
    assert.equal(matches(u, parseFilter('externalId eq "00uabcde1"')), false);
    assert.equal(matches(u, parseFilter('EXTERNALID eq "00UABCDE1"')), false);
    assert.equal(matches(u, parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:externalId eq "00uabcde1"')), false);
    assert.equal(matches(u, parseFilter('externalId ne "00uabcde1"')), true);
    assert.equal(matches(u, parseFilter('externalId sw "00uAb"')), true);
    assert.equal(matches(u, parseFilter('externalId sw "00uab"')), false);
    assert.equal(matches(u, parseFilter('externalId co "bCd"')), true);
    assert.equal(matches(u, parseFilter('externalId co "bcd"')), false);
    assert.equal(matches(u, parseFilter('externalId gt "00ua"')), false); // "A" sorts before "a"
  });
  test('userName (caseExact false) still matches in any case', () => {
    assert.equal(matches(u, parseFilter('userName eq "ada@example.com"')), true);
    assert.equal(matches(u, parseFilter('userName eq "ada@example.com" and externalId eq "00uAbCdE1"')), true);
  });
});

describe('filter: unquoted numbers (Entra sends `externalId eq jyoung`-style values)', () => {
  const u = { externalId: '00042', employeeNumber: '12345678901234567890', version: 42 };
  test('a string attribute compares the text as sent: leading zeros and all 20 digits kept', () => {
    assert.equal(matches(u, parseFilter('externalId eq 00042')), true);
    assert.equal(matches(u, parseFilter('externalId eq 42')), false);
    assert.equal(matches(u, parseFilter('externalId sw 0004')), true);
    assert.equal(matches(u, parseFilter('employeeNumber eq 12345678901234567890')), true);
    assert.equal(matches(u, parseFilter('employeeNumber eq 12345678901234567000')), false);
  });
  test('the index still serves it, with the text', () => {
    assert.equal(requiredEquality(parseFilter('externalId eq 00042'), 'externalId'), '00042');
    assert.equal(requiredEquality(parseFilter('id eq 12345678901234567890 and active eq true'), 'id'), '12345678901234567890');
  });
  test('a numeric attribute compares numbers', () => {
    assert.equal(matches(u, parseFilter('version eq 42')), true);
    assert.equal(matches(u, parseFilter('version eq 042.0')), true);
    assert.equal(matches(u, parseFilter('version gt 7')), true);
    assert.equal(matches(u, parseFilter('version lt 7')), false);
    assert.equal(matches(u, parseFilter('version ne 42')), false);
  });
});

describe('filter: a complex attribute compared with a plain value compares its `value`', () => {
  test('Entra\'s manager check: id eq X and manager eq M', () => {
    assert.equal(matches(alice, parseFilter('id eq "u-1" and manager eq "u-9"')), true);
    assert.equal(matches(alice, parseFilter('id eq "u-1" and manager eq "u-8"')), false);
    assert.equal(matches(alice, parseFilter('manager ne "u-8"')), true);
    assert.equal(matches(alice, parseFilter('manager.value eq "u-9"')), true);
    assert.equal(matches(alice, parseFilter('manager pr')), true);
  });
  test('multi-valued: any value matches', () => {
    assert.equal(matches(alice, parseFilter('emails eq "alice@home.org"')), true);
    assert.equal(matches(alice, parseFilter('members eq "m3"')), false);
  });
});

describe('filter: nesting depth', () => {
  const nest = (n: number, open: string, close: string) => `${open.repeat(n)}userName eq "a@b.c"${close.repeat(n)}`;
  test(`${MAX_FILTER_DEPTH} levels of "(", "not(" or "emails[" parse; one more is a 400 invalidFilter, never a stack overflow`, () => {
    const invalid = (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidFilter';
    for (const [open, close] of [['(', ')'], ['not(', ')'], ['emails[', ']']]) {
      assert.doesNotThrow(() => parseFilter(nest(MAX_FILTER_DEPTH, open!, close!)));
      assert.throws(() => parseFilter(nest(MAX_FILTER_DEPTH + 1, open!, close!)), invalid);
    }
    assert.equal(matches(alice, parseFilter(nest(MAX_FILTER_DEPTH, 'not(', ')'))), matches(alice, parseFilter('userName eq "a@b.c"')));
    // Within the 4,096-character limit, unbalanced: the parser recursed per "(" into a RangeError.
    assert.throws(() => parseFilter('('.repeat(4096)), invalid);
  });
});

describe('filter: attribute expressions per filter', () => {
  // Each expression is evaluated once per user a scan reads: 450 of them (within 4,096 characters) cost seconds a request.
  test(`${MAX_FILTER_TERMS} expressions parse; one more (or a chain of 450 within the length limit) is a 400 invalidFilter`, () => {
    const invalid = (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidFilter' && /attribute expressions/.test(e.detail);
    const chain = (n: number, join: string) => Array.from({ length: n }, () => 'title pr').join(join);
    assert.doesNotThrow(() => parseFilter(chain(MAX_FILTER_TERMS, ' or ')));
    assert.throws(() => parseFilter(chain(MAX_FILTER_TERMS + 1, ' or ')), invalid);
    assert.throws(() => parseFilter(Array.from({ length: 450 }, () => 'a pr').join(' and ')), invalid);
    // Counted inside value paths and not() alike.
    const inPath = `emails[${Array.from({ length: MAX_FILTER_TERMS }, (_, i) => `value eq "a${i}"`).join(' or ')}].type eq "work"`;
    assert.throws(() => parseFilter(inPath), invalid);
    assert.throws(() => parseFilter(`not(${chain(MAX_FILTER_TERMS + 1, ' and ')})`), invalid);
  });
});
