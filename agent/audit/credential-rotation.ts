import { collectSecretRefs, type LoadedConfig } from '../../config/load.ts';
import { formatPath } from '../../config/schema-issues.ts';
import type { AuditEntry } from '../api.ts';
import type { Keyring } from '../secrets/keyring.ts';
import type { Store } from '../store/store.ts';
import { appendAudit } from './audit-log.ts';

/**
 * Credential rotations audited at start. A config names its secrets by reference (`env:NAME`,
 * `file:PATH`), so an operator who rotates a token behind the same secret reference changes no byte of
 * the file: `config-changed` (config-change.ts) does not see it. Here each credential slot's keyed
 * fingerprint is recorded, and a start whose secret behind a slot's reference differs from the
 * recorded one appends one `credential-rotated` entry for that slot.
 *
 * The fingerprint is an HMAC-SHA-256 (RFC 2104) under a key derived from `secrets.keyFile`
 * (keyring.ts `derive`, purpose `CREDENTIAL_FINGERPRINT_PURPOSE`): never the secret, never a plain
 * hash of it, so a copy of the store lets nobody test guesses of a weak credential offline.
 */
export const CREDENTIAL_FINGERPRINT_PURPOSE = 'hubwarden credential fingerprint v1';

/** One slot's recorded fingerprint (full HMAC, hex) and when it was first recorded with that value. */
interface SlotRecord {
  fingerprint: string;
  recordedAt: string;
}

/**
 * The fingerprints as last recorded: one record, collection `credentialState`, partition '', id
 * `fingerprints`. `keyCheck` is the HMAC of a fixed text under the same key: a different one means
 * the key file changed, and the fingerprints cannot be compared.
 */
export interface RecordedCredentials {
  keyCheck: string;
  recordedAt: string;
  /** By slot key (`slotKey`): the hub or org, the key's path without list positions, and the secret reference. */
  slots: Record<string, SlotRecord>;
}

declare module '../store/collections.ts' {
  interface Collections {
    credentialState: RecordedCredentials;
  }
}

const KEY = ['credentialState', '', 'fingerprints'] as const;
const KEY_CHECK_TEXT = 'hubwarden credential fingerprint key check';

/** A credential slot of the loaded config: where a secret reference sits, and whose it is. */
interface Slot {
  key: string;
  /** `hub <id>`, `identity provider <name>`, or the top-level key (`server`, `store`). */
  scope: string;
  hubId?: string;
  identityProvider?: string;
  /** The key's path within its scope, list positions kept (`scim.tokens[0]`). */
  field: string;
  ref: string;
  fingerprint: string;
}

/**
 * A slot is named by its hub (by id, not list position) or identity provider, the key's path
 * without list positions, and the secret reference: reordering a list (SCIM tokens are a set) or adding
 * a hub moves no slot, and a reference replaced by another is a config edit (`config-changed`),
 * not the rotation of a secret behind the same secret reference.
 */
function slotsOf(config: Pick<LoadedConfig, 'file' | 'secret'>, fingerprintOf: (value: string) => string): Slot[] {
  const found: Array<{ ref: string; path: PropertyKey[] }> = [];
  collectSecretRefs(config.file, [], found);
  const out = new Map<string, Slot>();
  for (const { ref, path } of found) {
    let value: string;
    try {
      value = config.secret(ref).reveal();
    } catch {
      continue; // unresolved (a CLI's `on-use` config): nothing to compare
    }
    const [top, second] = path;
    let scope: string;
    let rest: PropertyKey[];
    let hubId: string | undefined;
    let identityProvider: string | undefined;
    if (top === 'hubs' && typeof second === 'number') {
      hubId = config.file.hubs[second]!.id;
      scope = `hub ${hubId}`;
      rest = path.slice(2);
    } else if (top === 'identityProviders' && typeof second === 'string') {
      identityProvider = second;
      scope = `identity provider ${second}`;
      rest = path.slice(2);
    } else {
      scope = String(top);
      rest = path.slice(1);
    }
    const key = JSON.stringify([scope, rest.filter((p) => typeof p !== 'number').map(String), ref]);
    if (out.has(key)) continue;
    out.set(key, { key, scope, ...(hubId !== undefined ? { hubId } : {}), ...(identityProvider !== undefined ? { identityProvider } : {}), field: formatPath(rest), ref, fingerprint: fingerprintOf(value) });
  }
  return [...out.values()];
}

/** What a fingerprint is shown as: its first 6 hex digits, as credential labels are (scim-server/credentials.ts). */
const shown = (fingerprint: string) => `fingerprint:${fingerprint.slice(0, 6)}`;

/** Who: the config file this start loaded (and its hash), as `config-changed` names it. */
const triggerOf = (config: Pick<LoadedConfig, 'path' | 'sha256'>): AuditEntry['trigger'] => ({ type: 'config', actor: `config file ${config.path}`, detail: `sha256 ${config.sha256}` });

export interface CredentialRotations {
  /** One per slot whose secret changed behind the same secret reference. */
  entries: AuditEntry[];
  /** The recorded fingerprints were made with another key (the key file changed): recorded anew, none compared. */
  rekeyed: boolean;
  /** With `rekeyed`: its `secrets-key-changed` entry. */
  keyChanged?: AuditEntry;
}

/**
 * At start: compares each credential slot's keyed fingerprint with the recorded one and appends
 * one `credential-rotated` entry per slot whose secret changed; then records the fingerprints.
 * A slot new to the record (a first start, a hub or reference added) is recorded, not audited.
 * Read, compare, record and audit are one transaction, as `recordConfigChange`'s are: of replicas
 * starting at once on a shared store exactly one records a rotation, the others' transactions
 * re-run on the conflict (store.ts) and find the fingerprints already recorded.
 */
export async function auditCredentialRotations(
  store: Store,
  config: Pick<LoadedConfig, 'path' | 'sha256' | 'file' | 'secret'>,
  key: Keyring,
  now = new Date(),
): Promise<CredentialRotations> {
  const fingerprintOf = (value: string) => key.mac(value).toString('hex');
  const keyCheck = key.mac(KEY_CHECK_TEXT).toString('hex');
  const slots = slotsOf(config, fingerprintOf);
  return store.transact(async (tx) => {
    const recorded = await tx.get(...KEY);
    const at = now.toISOString();
    const fresh = (): Record<string, SlotRecord> => Object.fromEntries(slots.map((s) => [s.key, { fingerprint: s.fingerprint, recordedAt: at }]));
    if (!recorded || recorded.keyCheck !== keyCheck) {
      tx.put(...KEY, { keyCheck, recordedAt: at, slots: fresh() });
      if (!recorded) return { entries: [], rekeyed: false };
      // The key every credential label and fingerprint is derived from changed (rotated, replaced,
      // or another key file mounted): audited, not only logged, since it also hides from this check
      // any credential rotated since the last start.
      const keyChanged = appendAudit(tx, {
        trigger: triggerOf(config), action: 'secrets-key-changed', subject: { label: 'secrets.keyFile' }, outcome: 'ok',
        why: `the secrets.keyFile key differs from the one the credential fingerprints were recorded with on ${recorded.recordedAt} (the key file was rotated or replaced, or another one is mounted): fingerprints recorded anew, so a credential rotated since the last start cannot be told; credential labels in the audit log differ from here on`,
        detail: { keyFile: config.file.secrets.keyFile, previousRecordedAt: recorded.recordedAt, slots: slots.length, rotationsCompared: false, configFile: config.path },
      });
      return { entries: [], rekeyed: true, keyChanged };
    }
    const entries: AuditEntry[] = [];
    const next: Record<string, SlotRecord> = {};
    for (const slot of slots) {
      const before = recorded.slots[slot.key];
      if (before && before.fingerprint === slot.fingerprint) {
        next[slot.key] = before;
        continue;
      }
      next[slot.key] = { fingerprint: slot.fingerprint, recordedAt: at };
      if (!before) continue;
      entries.push(appendAudit(tx, {
        ...(slot.hubId !== undefined ? { hubId: slot.hubId } : {}),
        trigger: triggerOf(config),
        action: 'credential-rotated',
        subject: { label: `${slot.scope}: ${slot.field}` },
        why: `the secret behind ${slot.ref} changed since the last start (same secret reference, another value)`,
        outcome: 'ok',
        detail: {
          slot: slot.field,
          ...(slot.hubId !== undefined ? { hub: slot.hubId } : {}),
          ...(slot.identityProvider !== undefined ? { identityProvider: slot.identityProvider } : {}),
          ...(slot.hubId === undefined && slot.identityProvider === undefined ? { scope: slot.scope } : {}),
          reference: slot.ref,
          previous: shown(before.fingerprint),
          previousRecordedAt: before.recordedAt,
          now: shown(slot.fingerprint),
          configFile: config.path,
        },
      }));
    }
    const same = Object.keys(next).length === Object.keys(recorded.slots).length && Object.entries(next).every(([k, v]) => recorded.slots[k] === v);
    if (!same) tx.put(...KEY, { keyCheck, recordedAt: at, slots: next });
    return { entries, rekeyed: false };
  }, { writes: [KEY] });
}
