import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A secret is never written in the config file itself: it is a reference, `env:NAME` (an
 * environment variable) or `file:PATH` (a file, relative to the config file's folder; one trailing
 * newline and a leading byte order mark are dropped). The secret reference is resolved when the config is loaded, so a missing secret is
 * reported with the path of the key that needs it. The schema lives in the connector sdk because
 * connector config blocks carry credentials too.
 */
export { secretRef } from '../connectors/sdk/secret-ref.ts';

/** A resolved secret. `toString` and `toJSON` never reveal the value, so it cannot leak into a log. */
export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly ref: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return `[secret ${this.ref}]`;
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * A long run of letters and digits alone, with no `_`, `-`, `.` or `/`: how a token looks (a Meta
 * access token, `EAA…`; a TikTok one, 40 hex digits), not how variables and files are named.
 */
const PASTED_SECRET = /^[A-Za-z0-9]{24,}$/;

/**
 * The name after `env:` or `file:` as a load error quotes it. A secret pasted there by mistake
 * (`accessToken: env:EAAB…`) is shown as its first 4 characters and its length, never whole: the
 * error is printed, and logged at every start.
 */
function shownName(name: string, kind: 'env' | 'file'): string {
  if (!PASTED_SECRET.test(name)) return name;
  return `${name.slice(0, 4)}… (${name.length} characters, shortened: this looks like a secret itself; ${kind}: takes ${kind === 'env' ? "a variable's name" : "a file's path"}, never the secret)`;
}

export function resolveSecret(ref: string, baseDir: string, env: NodeJS.ProcessEnv): Secret | string {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = env[name];
    if (value === undefined || value === '') return `environment variable ${shownName(name, 'env')} is not set`;
    return valueProblem(value, `environment variable ${shownName(name, 'env')}`) ?? new Secret(value, ref);
  }
  const path = resolve(baseDir, ref.slice(5));
  let value: string;
  try {
    // A leading byte order mark goes too: it is an encoding signature, not text (RFC 3629 §6;
    // Windows Notepad wrote one at the start of every UTF-8 file until 2019). Kept, it was the
    // token's first character: the SCIM or admin token no identity provider or CLI ever sends,
    // every request refused as a wrong token, and a database URL that "does not parse".
    value = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').replace(/\r?\n$/, '');
  } catch (err) {
    const shown = PASTED_SECRET.test(ref.slice(5)) ? `file ${shownName(ref.slice(5), 'file')}` : path;
    return `cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  // An empty file is a missing secret, as an empty variable is: accepted, it made an admin or SCIM
  // token nobody can present (RFC 6750 §2.1: b64token is one or more characters) and a connector
  // credential every call is refused with, and the CLI blamed "spaces or line breaks" in it.
  if (value === '') return `${path} is empty`;
  return valueProblem(value, path) ?? new Secret(value, ref);
}

/**
 * A value that is no secret: only spaces or line breaks (`META_TOKEN=" "`, a file of blank lines)
 * is a missing one, as an empty value is; accepted, a connector credential was sent as is and
 * every call refused, the hub paused as "unauthenticated" with the config said to be OK. A value
 * that is itself a reference (`env:META_TOKEN` set to "env:META_TOKEN_PROD") is never followed: it
 * would be sent as the credential. Said naming the variable or file, never quoting the value.
 */
function valueProblem(value: string, what: string): string | undefined {
  if (value.trim() === '') return `${what} holds only spaces or line breaks`;
  if (/^(?:env|file):/.test(value)) return `${what} holds a secret reference (${value.slice(0, value.indexOf(':') + 1)}…), not a secret: references are not followed; set it to the secret itself`;
  return undefined;
}

/**
 * A `file:` secret that other users may read (`secretFileExposure`): said as the key file's mode is (agent/secrets/keyring.ts),
 * a warning, not a refusal (a container may mount secrets 0644 on purpose). Names the file and its
 * mode, never its content. None on Windows, whose files have no such mode bits.
 */
export function secretFileWarning(ref: string, baseDir: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (!ref.startsWith('file:') || platform === 'win32') return undefined;
  const path = resolve(baseDir, ref.slice(5));
  let st: { mode: number; uid: number };
  try {
    st = statSync(path);
  } catch {
    return undefined; // read a moment ago; gone now is for the next load to say
  }
  const exposure = secretFileExposure(st);
  return exposure === undefined ? undefined : `${path} holds a secret and is ${exposure} (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`;
}

/**
 * Who besides its owner may read or change a secret file (undefined: nobody who should not). Group
 * read on a file this process's user does not own is how it reads the file, not an exposure: a
 * Kubernetes Secret volume is owned by root and readable through the pod's `fsGroup` with
 * `defaultMode: 0440` (https://kubernetes.io/docs/tasks/configure-pod-container/security-context/,
 * https://kubernetes.io/docs/concepts/configuration/secret/), and there "chmod 600 it" would lock
 * the server out; every replica warned at every start about something no operator could change.
 */
export function secretFileExposure(st: { mode: number; uid: number }, processUid: number | undefined = process.getuid?.()): string | undefined {
  if ((st.mode & 0o007) !== 0) return 'readable or writable by other users';
  if ((st.mode & 0o020) !== 0) return 'writable by its group';
  if ((st.mode & 0o070) !== 0 && st.uid === processUid) return 'readable by its group';
  return undefined;
}
