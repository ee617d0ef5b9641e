/**
 * No 5xx from input: a table of malformed SCIM requests (escapes, compressed bodies, `schemas`,
 * NUL and lone surrogates, oversized attributes, userNames that differ only by surrounding
 * whitespace, group members that name no user of the hub). Each must get a 4xx with an RFC 7644
 * §3.12 error body (and its scimType where §3.12 has one), and change nothing in the store.
 */
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { FailureLimiter } from '../auth-failures.ts';
import { MAX_LENGTH, MAX_VALUES } from './attributes.ts';
import { collect } from '../../agent/store/store.ts';
import { startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Case {
  name: string;
  method: string;
  /** Raw path after the host (sent byte for byte: malformed escapes stay malformed). */
  path: string;
  body?: Buffer | string | object;
  headers?: Record<string, string>;
  status: number;
  scimType?: string;
}

const user = (userName: string, extra: Record<string, unknown> = {}) => ({ schemas: [USER], userName, emails: [{ value: 'x@example.com', type: 'work', primary: true }], ...extra });
const patch = (...ops: object[]) => ({ schemas: [PATCH_OP], Operations: ops });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const long = (n: number) => 'x'.repeat(n);

/** Sends exactly these bytes (fetch would re-encode a malformed path). */
function send(app: ScimTestApp, c: Case, token: string): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(app.url);
  const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : typeof c.body === 'string' ? Buffer.from(c.body) : json(c.body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, method: c.method, path: c.path,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/scim+json', 'content-length': String(body.length) } : {}),
        ...c.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('SCIM: malformed requests get a 4xx SCIM error and store nothing', () => {
  let app: ScimTestApp;
  let userId: string;
  let otherUserId: string;
  let betaUserId: string;
  let groupId: string;
  const H = '/scim/v2/hubs/alpha';
  const cases: Case[] = [];

  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'alpha', identityProvider: 'okta' }, { id: 'beta' }], failures: new FailureLimiter({ scim: { maxFailures: 1000, windowMs: 60_000 } }) });
    const post = async (hub: string, path: string, body: object) => {
      const r = await send(app, { name: 'setup', method: 'POST', path: `/scim/v2/hubs/${hub}${path}`, body, status: 201 }, app.token(hub));
      assert.equal(r.status, 201, r.text);
      return JSON.parse(r.text).id as string;
    };
    userId = await post('alpha', '/Users', user('taken@example.com'));
    otherUserId = await post('alpha', '/Users', user('other@example.com'));
    betaUserId = await post('beta', '/Users', user('beta@example.com'));
    groupId = await post('alpha', '/Groups', { schemas: [GROUP], displayName: 'Sales', members: [{ value: userId }] });
    const U = `${H}/Users/${userId}`;
    const G = `${H}/Groups/${groupId}`;
    const corrupt = Buffer.from('this is not compressed at all');
    const gz = gzipSync(json(user('gz@example.com')));

    cases.push(
      // Malformed %-escapes anywhere in the path (some before authentication); in a resource's id,
      // 404 as any id no resource has ("any id format gives a 404, never 400/500")
      { name: 'bad escape in the hub id', method: 'GET', path: '/scim/v2/hubs/%zz/Users', status: 400 },
      { name: 'bad escape in the hub id, POST', method: 'POST', path: '/scim/v2/hubs/%zz/Users', body: user('a@example.com'), status: 400 },
      { name: 'truncated escape in the hub id', method: 'GET', path: '/scim/v2/hubs/alpha%/Users', status: 400 },
      { name: 'bad escape in a user id', method: 'GET', path: `${H}/Users/%zz`, status: 404 },
      { name: 'bad escape in a user id, PUT', method: 'PUT', path: `${H}/Users/%zz`, body: user('a@example.com'), status: 404 },
      { name: 'bad escape in a user id, PATCH', method: 'PATCH', path: `${H}/Users/%E0%A4%A`, body: patch({ op: 'replace', path: 'title', value: 'x' }), status: 404 },
      { name: 'bad escape in a user id, DELETE', method: 'DELETE', path: `${H}/Users/%`, status: 404 },
      { name: 'overlong UTF-8 escape in a group id', method: 'GET', path: `${H}/Groups/%c0%af`, status: 404 },
      { name: 'bad escape in a group id, DELETE', method: 'DELETE', path: `${H}/Groups/%ff%zz`, status: 404 },
      { name: 'bad escape in a schema id', method: 'GET', path: `${H}/Schemas/%zz`, status: 404 },
      { name: 'bad escape in a resource type id', method: 'GET', path: `${H}/ResourceTypes/%`, status: 404 },
      { name: 'bad escape in the resource name', method: 'GET', path: `${H}/Us%zzers`, status: 400 },
      { name: 'bad escape after the hub', method: 'POST', path: `${H}/%zz`, body: user('a@example.com'), status: 400 },
      // Compressed bodies that do not decompress, or decompress to something that is not a SCIM object
      { name: 'corrupt gzip body', method: 'POST', path: `${H}/Users`, body: corrupt, headers: { 'content-encoding': 'gzip' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'corrupt deflate body', method: 'POST', path: `${H}/Users`, body: corrupt, headers: { 'content-encoding': 'deflate' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'corrupt br body', method: 'POST', path: `${H}/Users`, body: corrupt, headers: { 'content-encoding': 'br' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'truncated gzip body', method: 'POST', path: `${H}/Users`, body: gz.subarray(0, gz.length - 9), headers: { 'content-encoding': 'gzip' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'corrupt gzip PATCH', method: 'PATCH', path: U, body: corrupt, headers: { 'content-encoding': 'gzip' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'corrupt gzip PUT on a group', method: 'PUT', path: G, body: corrupt, headers: { 'content-encoding': 'gzip' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'gzip of invalid JSON', method: 'POST', path: `${H}/Users`, body: gzipSync(Buffer.from('{"userName":')), headers: { 'content-encoding': 'gzip' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'deflate of a JSON list', method: 'POST', path: `${H}/Users`, body: deflateSync(Buffer.from('[1,2]')), headers: { 'content-encoding': 'deflate' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'br that inflates past 1 MB', method: 'POST', path: `${H}/Users`, body: brotliCompressSync(json(user('big@example.com', { title: long(2 * 1024 * 1024) }))), headers: { 'content-encoding': 'br' }, status: 413 },
      { name: 'unknown content encoding', method: 'POST', path: `${H}/Users`, body: json(user('enc@example.com')), headers: { 'content-encoding': 'compress' }, status: 415, scimType: 'invalidSyntax' },
      { name: 'invalid UTF-8 bytes', method: 'POST', path: `${H}/Users`, body: Buffer.concat([Buffer.from('{"schemas":["' + USER + '"],"userName":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('@example.com"}')]), status: 400, scimType: 'invalidSyntax' },
      { name: 'a non-UTF-8 charset', method: 'POST', path: `${H}/Users`, body: json(user('cs@example.com')), headers: { 'content-type': 'application/scim+json; charset=iso-8859-1' }, status: 415 },
      { name: 'JSON nested 100,000 deep', method: 'POST', path: `${H}/Users`, body: '['.repeat(100_000) + ']'.repeat(100_000), status: 400, scimType: 'invalidSyntax' },
      { name: 'JSON null', method: 'POST', path: `${H}/Users`, body: 'null', status: 400, scimType: 'invalidSyntax' },
      // Unknown or malformed `schemas`
      { name: 'schemas is a string', method: 'POST', path: `${H}/Users`, body: { ...user('s1@example.com'), schemas: USER }, status: 400, scimType: 'invalidSyntax' },
      { name: 'schemas is empty', method: 'POST', path: `${H}/Users`, body: { ...user('s2@example.com'), schemas: [] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'schemas holds a number', method: 'POST', path: `${H}/Users`, body: { ...user('s3@example.com'), schemas: [USER, 7] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'schemas is null', method: 'POST', path: `${H}/Users`, body: { ...user('s4@example.com'), schemas: null }, status: 400, scimType: 'invalidSyntax' },
      { name: 'unknown schema URN', method: 'POST', path: `${H}/Users`, body: { ...user('s5@example.com'), schemas: ['urn:example:params:scim:schemas:unknown'] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'User schema plus an unknown one', method: 'POST', path: `${H}/Users`, body: { ...user('s6@example.com'), schemas: [USER, ENTERPRISE, 'urn:bogus'] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'Group schema on /Users', method: 'POST', path: `${H}/Users`, body: { ...user('s7@example.com'), schemas: [GROUP] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'User schema on /Groups', method: 'POST', path: `${H}/Groups`, body: { schemas: [USER], displayName: 'Wrong schema' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'Entra\'s group schema without the core one', method: 'POST', path: `${H}/Groups`, body: { schemas: ['http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], displayName: 'No core' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'User schema on a user PUT', method: 'PUT', path: U, body: { ...user('taken@example.com'), schemas: ['urn:ietf:params:scim:schemas:core:1.0:User'] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'PATCH without the PatchOp schema', method: 'PATCH', path: U, body: { schemas: [USER], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'PATCH with PatchOp plus an unknown schema', method: 'PATCH', path: G, body: { schemas: [PATCH_OP, 'urn:bogus'], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'PATCH schemas is an object', method: 'PATCH', path: U, body: { schemas: { 0: PATCH_OP }, Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, status: 400, scimType: 'invalidSyntax' },
      // NUL and lone surrogates
      { name: 'NUL in userName', method: 'POST', path: `${H}/Users`, body: user('nul\u0000@example.com'), status: 400, scimType: 'invalidValue' },
      { name: 'lone high surrogate in userName', method: 'POST', path: `${H}/Users`, body: '{"schemas":["' + USER + '"],"userName":"a\\ud800@example.com"}', status: 400, scimType: 'invalidValue' },
      { name: 'lone low surrogate in displayName', method: 'POST', path: `${H}/Users`, body: '{"schemas":["' + USER + '"],"userName":"ls@example.com","displayName":"\\udfff"}', status: 400, scimType: 'invalidValue' },
      { name: 'NUL in name.givenName', method: 'POST', path: `${H}/Users`, body: user('g@example.com', { name: { givenName: 'a\u0000b' } }), status: 400, scimType: 'invalidValue' },
      { name: 'NUL in externalId', method: 'POST', path: `${H}/Users`, body: user('e@example.com', { externalId: '00u\u0000' }), status: 400, scimType: 'invalidValue' },
      { name: 'lone surrogate in an email', method: 'POST', path: `${H}/Users`, body: '{"schemas":["' + USER + '"],"userName":"em@example.com","emails":[{"value":"\\ud83d@example.com"}]}', status: 400, scimType: 'invalidValue' },
      { name: 'NUL in an attribute name', method: 'POST', path: `${H}/Users`, body: user('k@example.com', { 'title\u0000': 'x' }), status: 400, scimType: 'invalidValue' },
      { name: 'NUL in a group displayName', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: 'Sa\u0000les' }, status: 400, scimType: 'invalidValue' },
      // The answer's projection is read before the write: refused after the commit, the change was saved.
      { name: 'bad escape in a PATCH answer\'s attributes', method: 'PATCH', path: `${U}?attributes=%zz`, body: patch({ op: 'replace', path: 'title', value: 'boss' }), status: 400, scimType: 'invalidValue' },
      { name: 'bad escape in a PUT answer\'s attributes', method: 'PUT', path: `${U}?excludedAttributes=%E0%A4%A`, body: user('taken@example.com', { title: 'boss' }), status: 400, scimType: 'invalidValue' },
      { name: 'bad escape in a group PATCH answer\'s attributes', method: 'PATCH', path: `${G}?attributes=%zz`, body: patch({ op: 'add', path: 'members', value: [{ value: otherUserId }] }), status: 400, scimType: 'invalidValue' },
      { name: 'bad escape in a group PUT answer\'s attributes', method: 'PUT', path: `${G}?attributes=%zz`, body: { schemas: [GROUP], displayName: 'Sales', members: [{ value: userId }, { value: otherUserId }] }, status: 400, scimType: 'invalidValue' },
      { name: 'NUL in a PATCH value', method: 'PATCH', path: U, body: patch({ op: 'replace', path: 'title', value: 'boss\u0000' }), status: 400, scimType: 'invalidValue' },
      { name: 'lone surrogate in a PATCH path', method: 'PATCH', path: U, body: `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"title\\udc00","value":"x"}]}`, status: 400, scimType: 'invalidValue' },
      { name: 'NUL in a PUT title', method: 'PUT', path: U, body: user('taken@example.com', { title: '\u0000' }), status: 400, scimType: 'invalidValue' },
      // Oversized attributes (limits in attributes.ts, documented in the README)
      { name: 'userName over its limit', method: 'POST', path: `${H}/Users`, body: user(`${long(MAX_LENGTH.userName)}@example.com`), status: 400, scimType: 'invalidValue' },
      { name: 'externalId over its limit', method: 'POST', path: `${H}/Users`, body: user('ext@example.com', { externalId: long(MAX_LENGTH.externalId + 1) }), status: 400, scimType: 'invalidValue' },
      { name: 'displayName over its limit', method: 'POST', path: `${H}/Users`, body: user('dn@example.com', { displayName: long(MAX_LENGTH.displayName + 1) }), status: 400, scimType: 'invalidValue' },
      { name: 'title over the string limit', method: 'POST', path: `${H}/Users`, body: user('t@example.com', { title: long(MAX_LENGTH.other + 1) }), status: 400, scimType: 'invalidValue' },
      { name: 'givenName over the string limit', method: 'POST', path: `${H}/Users`, body: user('gn@example.com', { name: { givenName: long(MAX_LENGTH.other + 1) } }), status: 400, scimType: 'invalidValue' },
      { name: 'email value over its limit', method: 'POST', path: `${H}/Users`, body: { schemas: [USER], userName: 'ev@example.com', emails: [{ value: `${long(MAX_LENGTH.emails)}@example.com` }] }, status: 400, scimType: 'invalidValue' },
      { name: 'too many emails', method: 'POST', path: `${H}/Users`, body: { schemas: [USER], userName: 'many@example.com', emails: Array.from({ length: MAX_VALUES + 1 }, (_, i) => ({ value: `m${i}@example.com` })) }, status: 400, scimType: 'invalidValue' },
      { name: 'enterprise department over the string limit', method: 'POST', path: `${H}/Users`, body: user('dep@example.com', { [ENTERPRISE]: { department: long(MAX_LENGTH.other + 1) } }), status: 400, scimType: 'invalidValue' },
      { name: 'group displayName over its limit', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: long(MAX_LENGTH.displayName + 1) }, status: 400, scimType: 'invalidValue' },
      { name: 'PATCH title over the string limit', method: 'PATCH', path: U, body: patch({ op: 'replace', path: 'title', value: long(MAX_LENGTH.other + 1) }), status: 400, scimType: 'invalidValue' },
      { name: 'PATCH userName over its limit', method: 'PATCH', path: U, body: patch({ op: 'replace', value: { userName: long(MAX_LENGTH.userName + 1) } }), status: 400, scimType: 'invalidValue' },
      { name: 'PATCH group rename over its limit', method: 'PATCH', path: G, body: patch({ op: 'replace', path: 'displayName', value: long(MAX_LENGTH.displayName + 1) }), status: 400, scimType: 'invalidValue' },
      // userNames that differ only by surrounding whitespace are the same userName (trimmed; RFC 7643 §2.1, §7 uniqueness)
      { name: 'userName with surrounding spaces', method: 'POST', path: `${H}/Users`, body: user(' taken@example.com '), status: 409, scimType: 'uniqueness' },
      { name: 'userName with a trailing tab', method: 'POST', path: `${H}/Users`, body: user('taken@example.com\t'), status: 409, scimType: 'uniqueness' },
      { name: 'userName with a leading newline, other case', method: 'POST', path: `${H}/Users`, body: user('\nTAKEN@example.com'), status: 409, scimType: 'uniqueness' },
      { name: 'PUT renames onto a taken userName plus spaces', method: 'PUT', path: `${H}/Users/${otherUserId}`, body: user('  taken@example.com'), status: 409, scimType: 'uniqueness' },
      { name: 'PATCH renames onto a taken userName plus spaces', method: 'PATCH', path: `${H}/Users/${otherUserId}`, body: patch({ op: 'replace', path: 'userName', value: 'taken@example.com ' }), status: 409, scimType: 'uniqueness' },
      { name: 'userName of spaces only', method: 'POST', path: `${H}/Users`, body: user('   '), status: 400, scimType: 'invalidValue' },
      // Group members that name no user of the hub
      { name: 'new group with an unknown member', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: 'Ghosts', members: [{ value: 'no-such-user' }] }, status: 400, scimType: 'invalidValue' },
      { name: 'new group with another hub\'s user', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: 'Cross', members: [{ value: betaUserId }] }, status: 400, scimType: 'invalidValue' },
      { name: 'new group with a group as member', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: 'Nested', members: [{ value: groupId }] }, status: 400, scimType: 'invalidValue' },
      { name: 'PUT group with an unknown member', method: 'PUT', path: G, body: { schemas: [GROUP], displayName: 'Sales', members: [{ value: userId }, { value: 'ghost' }] }, status: 400, scimType: 'invalidValue' },
      { name: 'PATCH add an unknown member', method: 'PATCH', path: G, body: patch({ op: 'add', path: 'members', value: [{ value: 'ghost' }] }), status: 400, scimType: 'invalidValue' },
      { name: 'PATCH replace members with an unknown one', method: 'PATCH', path: G, body: patch({ op: 'replace', path: 'members', value: [{ value: userId }, { value: 'ghost' }] }), status: 400, scimType: 'invalidValue' },
      { name: 'PATCH add another hub\'s user', method: 'PATCH', path: G, body: patch({ op: 'add', path: 'members', value: [{ value: betaUserId }] }), status: 400, scimType: 'invalidValue' },
      { name: 'PATCH add by filter an unknown member', method: 'PATCH', path: G, body: patch({ op: 'add', path: 'members[value eq "ghost"]', value: { display: 'G' } }), status: 400, scimType: 'invalidValue' },
      // A bare string naming no user is dropped from an add (the MS validator's form), never from a
      // list that replaces the members: dropped there, it emptied the group and answered 204.
      { name: 'PATCH replace members with a bare string naming no user', method: 'PATCH', path: G, body: patch({ op: 'Replace', path: 'members', value: 'ghost' }), status: 400, scimType: 'invalidValue' },
      { name: 'path-less PATCH replacing members with bare strings naming no user', method: 'PATCH', path: G, body: patch({ op: 'replace', value: { members: ['ghost'] } }), status: 400, scimType: 'invalidValue' },
      { name: 'PUT group whose members are a bare string naming no user', method: 'PUT', path: G, body: { schemas: [GROUP], displayName: 'Sales', members: 'ghost' }, status: 400, scimType: 'invalidValue' },
      { name: 'path-less PATCH adding an unknown member', method: 'PATCH', path: G, body: patch({ op: 'add', value: { members: [{ value: 'ghost' }] } }), status: 400, scimType: 'invalidValue' },
      // A single-quoted filter value matched nothing, so this removal answered 204 and removed nobody.
      { name: 'PATCH remove by a single-quoted member filter', method: 'PATCH', path: G, body: patch({ op: 'remove', path: `members[value eq '${userId}']` }), status: 400, scimType: 'invalidPath' },
      { name: 'single-quoted filter value', method: 'GET', path: `${H}/Users?filter=${encodeURIComponent("userName eq 'taken@example.com'")}`, status: 400, scimType: 'invalidFilter' },
      { name: 'member value not a string', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: 'Numbers', members: [{ value: 42 }] }, status: 400, scimType: 'invalidValue' },
      // The filter parser recursed once per "(": 4,096 of them (within the length limit) overflowed the stack, answered 500.
      { name: 'filter of 4,096 "("', method: 'GET', path: `${H}/Users?filter=${'%28'.repeat(4096)}`, status: 400, scimType: 'invalidFilter' },
      // A filter whose %-escapes do not decode was searched for as sent and answered 200 with no match.
      { name: 'filter with a malformed %-escape', method: 'GET', path: `${H}/Users?filter=userName%20eq%20%22a%zz%22`, status: 400, scimType: 'invalidFilter' },
      { name: 'group filter with a % not starting an escape', method: 'GET', path: `${H}/Groups?filter=displayName+eq+%22Sa%les%22`, status: 400, scimType: 'invalidFilter' },
      { name: 'filter escaping bytes that are not UTF-8', method: 'GET', path: `${H}/Users?Filter=userName%20eq%20%22%ff%22`, status: 400, scimType: 'invalidFilter' },
      { name: 'attributes with a malformed %-escape', method: 'GET', path: `${H}/Users/${userId}?attributes=userName%2`, status: 400, scimType: 'invalidValue' },
      // The same attribute twice under names equal but for case (RFC 7643 §2.1): the last one won.
      { name: 'userName and UserName', method: 'POST', path: `${H}/Users`, body: user('twice@example.com', { UserName: 'other@example.com' }), status: 400, scimType: 'invalidSyntax' },
      { name: 'the same value under two cases', method: 'POST', path: `${H}/Users`, body: user('same@example.com', { USERNAME: 'same@example.com' }), status: 400, scimType: 'invalidSyntax' },
      { name: 'givenName twice in name', method: 'PUT', path: U, body: user('taken@example.com', { name: { givenName: 'A', GivenName: 'B' } }), status: 400, scimType: 'invalidSyntax' },
      { name: 'value twice in an email', method: 'PUT', path: U, body: { schemas: [USER], userName: 'taken@example.com', emails: [{ value: 'a@example.com', Value: 'b@example.com' }] }, status: 400, scimType: 'invalidSyntax' },
      { name: 'department twice in the enterprise extension', method: 'POST', path: `${H}/Users`, body: user('ent@example.com', { [ENTERPRISE]: { department: 'A', Department: 'B' } }), status: 400, scimType: 'invalidSyntax' },
      { name: 'displayName twice in a group', method: 'POST', path: `${H}/Groups`, body: { schemas: [GROUP], displayName: 'A', DisplayName: 'B' }, status: 400, scimType: 'invalidSyntax' },
      { name: 'active twice in a PATCH value', method: 'PATCH', path: U, body: patch({ op: 'replace', value: { active: false, Active: true } }), status: 400, scimType: 'invalidSyntax' },
      { name: 'member value twice in a PATCH', method: 'PATCH', path: G, body: patch({ op: 'add', path: 'members', value: [{ value: otherUserId, Value: userId }] }), status: 400, scimType: 'invalidSyntax' },
      { name: 'op twice in a PATCH operation', method: 'PATCH', path: U, body: patch({ op: 'replace', Op: 'remove', path: 'title', value: 'x' }), status: 400, scimType: 'invalidSyntax' },
      { name: 'filter nesting "not(" 1,000 deep', method: 'GET', path: `${H}/Users?filter=${encodeURIComponent(`${'not('.repeat(1000)}`)}`, status: 400, scimType: 'invalidFilter' },
    );
  });
  after(() => app.close());

  /** Everything stored for both hubs, to prove a rejected request changed nothing. */
  const stored = async () => {
    const all: unknown[] = [];
    for (const hub of ['alpha', 'beta']) for (const c of ['directoryUsers', 'directoryGroups', 'outbox']) all.push(await collect(app.store.list(c as 'directoryUsers', hub)));
    return JSON.stringify(all);
  };

  test('at least 60 malformed requests: each a 4xx with a SCIM error body, nothing stored', async () => {
    assert.ok(cases.length >= 60, `${cases.length} cases`);
    const before = await stored();
    const wrong: string[] = [];
    for (const c of cases) {
      const r = await send(app, c, app.token('alpha'));
      let body: any;
      try {
        body = JSON.parse(r.text);
      } catch {
        body = undefined;
      }
      const problems: string[] = [];
      if (r.status !== c.status) problems.push(`status ${r.status}, expected ${c.status}`);
      if (!/^application\/scim\+json/.test(r.type)) problems.push(`content-type ${r.type}`);
      if (!body || JSON.stringify(body.schemas) !== JSON.stringify([ERROR]) || body.status !== String(r.status) || typeof body.detail !== 'string') problems.push('no SCIM error body');
      if (c.scimType && body?.scimType !== c.scimType) problems.push(`scimType ${body?.scimType}, expected ${c.scimType}`);
      if (problems.length) wrong.push(`${c.name}: ${problems.join('; ')} — ${r.text.slice(0, 160)}`);
      if ((await stored()) !== before) {
        wrong.push(`${c.name}: the store changed`);
        break;
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('the refusals name what to fix: both spellings of the attribute, and the filter\'s malformed %-escape', async () => {
    const twice = await send(app, { name: 'twice', method: 'POST', path: `${H}/Users`, body: user('t2@example.com', { name: { givenName: 'A', GIVENNAME: 'B' } }), status: 400 }, app.token('alpha'));
    assert.match(JSON.parse(twice.text).detail, /^name: holds both "givenName" and "GIVENNAME"; attribute names are case-insensitive/);
    const top = await send(app, { name: 'top', method: 'POST', path: `${H}/Users`, body: user('t3@example.com', { UserName: 'x' }), status: 400 }, app.token('alpha'));
    assert.match(JSON.parse(top.text).detail, /^the body: holds both "userName" and "UserName"/);
    const filter = await send(app, { name: 'filter', method: 'GET', path: `${H}/Users?filter=userName%20eq%20%22a%zz%22`, status: 400 }, app.token('alpha'));
    assert.match(JSON.parse(filter.text).detail, /^filter: the value holds a malformed %-escape/);
  });

  test('an id that does not decode is a 404 only for a caller the hub lets in: without its token, 401 first', async () => {
    const wrong = await send(app, { name: 'no token', method: 'GET', path: `${H}/Users/%zz`, status: 401 }, 'not-the-token');
    assert.equal(wrong.status, 401, wrong.text);
    const right = await send(app, { name: 'token', method: 'GET', path: `${H}/Users/%zz`, status: 404 }, app.token('alpha'));
    assert.equal(right.status, 404, right.text);
    assert.match(JSON.parse(right.text).detail, /^hub alpha: no user with id "%zz"/);
    const hub = await send(app, { name: 'hub', method: 'GET', path: '/scim/v2/hubs/%zz/Users/abc', status: 400 }, app.token('alpha'));
    assert.equal(hub.status, 400, 'a hub id that does not decode stays a 400: no credential can be checked for it');
  });

  test('a body that is not JSON is refused without quoting it (a password written without quotes)', async () => {
    const password = 'Sup3rSecretPW0123456789';
    for (const body of [
      `{"schemas":["${USER}"],"userName":"pw@example.com","password":${password}}`,
      `${password}`,
      `{"schemas":["${USER}"],"userName":"pw@example.com","password":"${password}"}}`,
    ]) {
      const r = await send(app, { name: 'not json', method: 'POST', path: `${H}/Users`, body, status: 400 }, app.token('alpha'));
      assert.equal(r.status, 400, r.text);
      assert.equal(JSON.parse(r.text).scimType, 'invalidSyntax');
      assert.match(JSON.parse(r.text).detail, /^the request body is not valid JSON/);
      // V8's JSON.parse message quotes up to 10 characters either side of the fault.
      for (let i = 0; i + 4 <= password.length; i++) assert.ok(!r.text.includes(password.slice(i, i + 4)), `${password.slice(i, i + 4)} of the password in ${r.text}`);
    }
  });

  test('a value of the wrong type is quoted back without a password it holds, wherever the quote is cut', async () => {
    const password = 'Sup3rSecretPW0123456789';
    // The quote is cut at 80 characters: each display name puts the cut at another place in the password.
    for (let pad = 0; pad <= 50; pad += 5) {
      const body = user('pw@example.com', { userName: { displayName: `Jane ${'x'.repeat(pad)}`, password } });
      const r = await send(app, { name: 'wrong type', method: 'POST', path: `${H}/Users`, body, status: 400 }, app.token('alpha'));
      assert.equal(r.status, 400, r.text);
      assert.match(JSON.parse(r.text).detail, /^userName: expected a string, got /);
      for (let i = 0; i + 4 <= password.length; i++) assert.ok(!r.text.includes(password.slice(i, i + 4)), `${password.slice(i, i + 4)} of the password in ${r.text}`);
    }
  });

  test('the forms that are fine still work: a gzip body, whitespace trimmed, a real member, Entra\'s misspelt enterprise URN', async () => {
    const gz = await send(app, { name: 'gzip', method: 'POST', path: `${H}/Users`, body: gzipSync(json(user('  gzip@example.com '))), headers: { 'content-encoding': 'gzip' }, status: 201 }, app.token('alpha'));
    assert.equal(gz.status, 201, gz.text);
    assert.equal(JSON.parse(gz.text).userName, 'gzip@example.com', 'surrounding whitespace is trimmed');
    const add = await send(app, { name: 'member', method: 'PATCH', path: `${H}/Groups/${groupId}`, body: patch({ op: 'add', path: 'members', value: [{ value: otherUserId }] }), status: 204 }, app.token('alpha'));
    assert.equal(add.status, 204, add.text);
    const members = async () => (await app.store.get('directoryGroups', 'alpha', groupId))!.members.map((m) => m.value);
    assert.deepEqual(await members(), [userId, otherUserId]);
    const bare = await send(app, { name: 'bare', method: 'PATCH', path: `${H}/Groups/${groupId}`, body: patch({ op: 'add', path: 'members', value: 'string id 1' }), status: 204 }, app.token('alpha'));
    assert.equal(bare.status, 204, 'the MS validator\'s bare-string add still succeeds');
    assert.deepEqual(await members(), [userId, otherUserId], 'and changes no one');
    const misspelt = await send(app, { name: 'urn', method: 'POST', path: `${H}/Users`, body: { schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'], userName: 'ms@example.com' }, status: 201 }, app.token('alpha'));
    assert.equal(misspelt.status, 201, misspelt.text);
    const noSchemas = await send(app, { name: 'none', method: 'POST', path: `${H}/Users`, body: { userName: 'noschemas@example.com' }, status: 201 }, app.token('alpha'));
    assert.equal(noSchemas.status, 201, 'a body without schemas is still accepted (Entra and the suites always send it; others may not)');
  });
});
