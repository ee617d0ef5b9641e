/**
 * Which asset types' partner shares a check reads for the first time. A release whose connector
 * starts reading the shares of a type (its definition's `partnerShareTypes`) finds every existing
 * share of it at its first check: compared with a snapshot that could not hold them, each was
 * audited as newly shared in the app though it existed all along. A first read records them as
 * the baseline instead (one summary entry, change-audit.ts); later checks report each change.
 *
 * The sound signal is what the last import says it read (`AppImportRecord.partnerShareTypes`): a
 * check that read a type and found no share of it did read it, and the next share is reported.
 * A type whose shares were kept as last seen (unreadable this time, snapshot.ts) stays read: once
 * readable again its shares are compared with the kept ones. An import recorded before the marker
 * existed read the types it holds a share of; of a type it holds none of, whether it read it is
 * not known, so the first check after the upgrade takes that type's shares as the baseline.
 */
import type { AppImportRecord } from '../app-state/records.ts';
import type { AppReading } from './read-app.ts';
import { unseenShareTypes, type HubSnapshot } from './snapshot.ts';

export interface ShareReading {
  /** The types whose shares the new snapshot holds as read (the next `AppImportRecord.partnerShareTypes`). */
  known: string[];
  /** The types read now that the previous snapshot did not hold as read. */
  firstRead: string[];
}

export function shareReading(input: {
  /** The types whose shares the connector reads (ConnectorDefinition.partnerShareTypes, or every asset type). */
  declared: readonly string[];
  reading: Pick<AppReading, 'partners' | 'unreadableAssetTypes' | 'unavailable' | 'unsupported'>;
  last: Pick<AppImportRecord, 'partnerShareTypes'> | undefined;
  previous: Pick<HubSnapshot, 'partners'>;
}): ShareReading {
  const { declared, reading, last, previous } = input;
  const before = new Set(last?.partnerShareTypes ?? previous.partners.flatMap((p) => p.assets.map((a) => a.type)));
  // Partners not read (the listing failed, or the connector has none): every share is as last known.
  const partnersRead = !reading.unsupported.includes('partners') && !reading.unavailable.some((u) => u.section === 'partners');
  const unseen = unseenShareTypes(reading);
  const readNow = partnersRead ? declared.filter((t) => !unseen.has(t)) : [];
  const firstRead = readNow.filter((t) => !before.has(t));
  return { known: [...new Set([...before, ...readNow])].sort(), firstRead };
}
