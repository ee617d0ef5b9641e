/**
 * The identity provider's side of the provision benchmarks (scim-push.ts): a forked process that
 * sends SCIM requests as Okta does, asked for over IPC, so its HTTP client's work is not charged
 * to the agent's process. Messages carry an `id`, echoed in the answer.
 *   parent → child: {type: 'users', from, emails}  POST /Users, 16 at a time; answers the ids
 *                   {type: 'members', userIds}      PATCH add members (the group created first)
 */
export type Ask =
  | { type: 'users'; from: number; emails: string[] }
  | { type: 'members'; userIds: string[] };
export type Answer = { id: number; value?: unknown; error?: string };

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The identity provider's side: SCIM requests as Okta sends them, asked for over IPC. */
async function runIdentityProvider(options: { base: string; token: string; group: string }): Promise<void> {
  const send = async (method: string, path: string, body: unknown): Promise<{ id?: string }> => {
    const res = await fetch(`${options.base}${path}`, {
      method, body: JSON.stringify(body),
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' },
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`SCIM ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as { id?: string }) : {};
  };
  let groupId: string | undefined;
  const handle = async (m: Ask): Promise<unknown> => {
    if (m.type === 'users') {
      const created: string[] = [];
      // At most 16 requests at once (Okta's provisioning concurrency), over kept-alive connections.
      for (let i = 0; i < m.emails.length; i += 16) {
        await Promise.all(m.emails.slice(i, i + 16).map(async (email, k) => {
          const user = await send('POST', '/Users', { schemas: [USER], userName: email, active: true, emails: [{ primary: true, value: email, type: 'work' }], name: { givenName: 'Bench', familyName: String(m.from + i + k) } });
          created[i + k] = user.id!;
        }));
      }
      return created;
    }
    if (!groupId) groupId = (await send('POST', '/Groups', { schemas: [GROUP], displayName: options.group, members: [] })).id!;
    await send('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: m.userIds.map((value) => ({ value })) }] });
    return null;
  };
  process.on('message', (m: Ask & { id: number }) => {
    handle(m).then((value) => process.send!({ id: m.id, value }), (err: Error) => process.send!({ id: m.id, error: err.message }));
  });
  process.on('disconnect', () => process.exit(0));
}


if (process.send && process.argv[2]) await runIdentityProvider(JSON.parse(process.argv[2]) as { base: string; token: string; group: string });
