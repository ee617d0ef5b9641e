/**
 * A process that crashes holding a secret (crash.test.ts): an error like an HTTP client's, with the
 * request it failed on as properties, rejected with nothing to catch it. `CRASH_HANDLER=1` installs
 * exitOnCrash first, as scim-server/main.ts does.
 */
import { addKnownSecrets } from './logger.ts';
import { exitOnCrash } from './crash.ts';

const secret = process.env.CRASH_SECRET!;
addKnownSecrets([secret]);
if (process.env.CRASH_HANDLER === '1') exitOnCrash();
const err = Object.assign(new Error('app: list members failed'), {
  request: { url: `https://app.example/v1/members?access_token=${secret}`, headers: { authorization: `OAuth ${secret}` }, body: `token=${secret}` },
});
void Promise.reject(err);
