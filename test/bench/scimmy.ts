/**
 * `npm run bench -- scimmy`: SCIMMY's standalone filter (SCIMMY.Types.Filter) and PatchOp
 * (SCIMMY.Messages.PatchOp) against hubwarden's own (scim-server/scim/filter, scim-server/scim/patch),
 * on the requests Okta and Entra send: how many of our filter and PATCH cases each gets right, and
 * the time per filter parse, per filter evaluation over 10,000 users, and per Okta group push
 * (100 members added to a 1,000-member group). The figures decide whether SCIMMY replaces ours
 * (docs/architecture.md, "SCIM filter and PATCH: our own").
 */
import { readFileSync } from 'node:fs';
import SCIMMY from 'scimmy';
import { alice, cases, invalidFilters } from '../../scim-server/scim/filter/filter-cases.ts';
import { matches } from '../../scim-server/scim/filter/evaluate.ts';
import { parseFilter } from '../../scim-server/scim/filter/parse.ts';
import { applyPatch } from '../../scim-server/scim/patch/apply.ts';
import { GROUP_ATTRIBUTES, USER_ATTRIBUTES } from '../../scim-server/scim/attributes.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function timeIt(n: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n; // µs per run
}

async function timeItAsync(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

function filters(): void {
  const wrong: string[] = [];
  let oursRight = 0;
  for (const [expr, expected] of cases) {
    try {
      if (matches(structuredClone(alice), parseFilter(expr)) === expected) oursRight++;
    } catch { /* counted as wrong */ }
    let got: boolean | string;
    try {
      got = new SCIMMY.Types.Filter(expr).match([structuredClone(alice)]).length === 1;
    } catch (err) {
      got = `throws: ${(err as Error).message}`;
    }
    if (got !== expected) wrong.push(`  ${expr} → expected ${expected}, SCIMMY ${got}`);
  }
  let accepted = 0;
  let oursAccepted = 0;
  for (const bad of invalidFilters) {
    try {
      parseFilter(bad);
      oursAccepted++;
    } catch { /* refused */ }
    try {
      new SCIMMY.Types.Filter(bad);
      accepted++;
    } catch { /* refused, as it should */ }
  }
  console.log(`filter cases (RFC 7644 §3.4.2.2 as Okta/Entra send them): ours ${oursRight}/${cases.length}, SCIMMY ${cases.length - wrong.length}/${cases.length}`);
  for (const line of wrong) console.log(line);
  console.log(`invalid filters refused: ours ${invalidFilters.length - oursAccepted}/${invalidFilters.length}, SCIMMY ${invalidFilters.length - accepted}/${invalidFilters.length}`);

  const users = Array.from({ length: 10_000 }, (_, i) => ({ id: `u${i}`, userName: `user${i}@bench.example`, active: true, emails: [{ type: 'work', value: `user${i}@bench.example`, primary: true }] }));
  const expr = 'userName eq "user5000@bench.example"';
  const ourParse = timeIt(20_000, () => parseFilter(expr));
  const theirParse = timeIt(20_000, () => new SCIMMY.Types.Filter(expr));
  const ourFilter = parseFilter(expr);
  const theirFilter = new SCIMMY.Types.Filter(expr);
  const ourScan = timeIt(50, () => users.filter((u) => matches(u, ourFilter)));
  const theirScan = timeIt(50, () => theirFilter.match(users));
  console.log(`parse ${expr}: ours ${ourParse.toFixed(2)} µs, SCIMMY ${theirParse.toFixed(2)} µs`);
  console.log(`evaluate it over 10,000 users: ours ${(ourScan / 1000).toFixed(2)} ms, SCIMMY ${(theirScan / 1000).toFixed(2)} ms`);
}

interface PatchCase { name: string; resource: 'User' | 'Group'; stored: Record<string, unknown>; ops: unknown[]; check(result: Record<string, any>): boolean }

const user = { id: 'uid', schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@example.com', active: true, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ type: 'work', value: 'ada@example.com', primary: true }] };
const group = { id: 'gid', schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Meta Admins', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] };
const patchCases: PatchCase[] = [
  { name: 'Okta deactivation: replace, no path, {active:false}', resource: 'User', stored: user, ops: [{ op: 'replace', value: { active: false } }], check: (r) => r.active === false },
  { name: 'Entra deactivation: "Replace" active "False" (a string)', resource: 'User', stored: user, ops: [{ op: 'Replace', path: 'active', value: 'False' }], check: (r) => r.active === false },
  { name: 'Entra: path-less value with dotted keys (name.givenName)', resource: 'User', stored: user, ops: [{ op: 'replace', value: { 'name.givenName': 'Augusta' } }], check: (r) => r.name?.givenName === 'Augusta' && r.name?.familyName === 'Lovelace' },
  { name: 'emails[type eq "work"].value replaced', resource: 'User', stored: user, ops: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@new.example' }], check: (r) => r.emails?.[0]?.value === 'ada@new.example' },
  { name: 'Okta group push: add members', resource: 'Group', stored: group, ops: [{ op: 'add', path: 'members', value: [{ value: 'u4' }] }], check: (r) => r.members?.length === 4 },
  { name: 'Okta: remove members[value eq "u2"]', resource: 'Group', stored: group, ops: [{ op: 'remove', path: 'members[value eq "u2"]' }], check: (r) => r.members?.length === 2 && !r.members.some((m: { value: string }) => m.value === 'u2') },
  { name: 'Entra: add members with a bare string value', resource: 'Group', stored: group, ops: [{ op: 'Add', path: 'members', value: 'u4' }], check: (r) => r.members?.some((m: { value: string }) => m.value === 'u4') },
];

async function scimmyPatch(c: Pick<PatchCase, 'resource' | 'stored' | 'ops'>): Promise<Record<string, any>> {
  const schema = c.resource === 'User' ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
  const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH], Operations: c.ops as never });
  const result = await message.apply(new schema(structuredClone(c.stored)) as never);
  return JSON.parse(JSON.stringify(result ?? {}));
}

function ourPatch(c: Pick<PatchCase, 'resource' | 'stored' | 'ops'>): Record<string, any> {
  const core = c.resource === 'User' ? USER_ATTRIBUTES : GROUP_ATTRIBUTES;
  return applyPatch(structuredClone(c.stored), { schemas: [PATCH], Operations: c.ops }, { core, resourceId: String(c.stored.id) });
}

async function patches(): Promise<void> {
  let ours = 0;
  let theirs = 0;
  const lines: string[] = [];
  for (const c of patchCases) {
    let okOurs = false;
    try {
      okOurs = c.check(ourPatch(c));
    } catch { /* counted as wrong */ }
    let theirsSays: string;
    try {
      theirsSays = c.check(await scimmyPatch(c)) ? 'ok' : 'wrong result';
    } catch (err) {
      theirsSays = `refused: ${(err as Error).message}`;
    }
    if (okOurs) ours++;
    if (theirsSays === 'ok') theirs++;
    lines.push(`  ${c.name}: ours ${okOurs ? 'ok' : 'WRONG'}, SCIMMY ${theirsSays}`);
  }
  console.log(`PATCH cases: ours ${ours}/${patchCases.length}, SCIMMY ${theirs}/${patchCases.length}`);
  for (const line of lines) console.log(line);

  const big = { ...group, members: Array.from({ length: 1000 }, (_, i) => ({ value: `m${i}` })) };
  const add = [{ op: 'add', path: 'members', value: Array.from({ length: 100 }, (_, i) => ({ value: `n${i}` })) }];
  const ourPush = timeIt(50, () => ourPatch({ resource: 'Group', stored: big, ops: add }));
  const theirPush = await timeItAsync(50, () => scimmyPatch({ resource: 'Group', stored: big, ops: add }));
  console.log(`Okta group push (add 100 members to 1,000): ours ${(ourPush / 1000).toFixed(2)} ms, SCIMMY ${(theirPush / 1000).toFixed(2)} ms`);
}

export default async function scimmyBench(): Promise<void> {
  const version = JSON.parse(readFileSync(new URL('../../node_modules/scimmy/package.json', import.meta.url), 'utf8')).version;
  console.log(`SCIMMY ${version} vs hubwarden, node ${process.version}`);
  filters();
  await patches();
}
