import { crc32 } from 'node:zlib';

/** The hash an id is indexed under: CRC-32 of its UTF-8 bytes (zlib, as the archive's line checksums). */
export function idHash(id: string): number {
  return crc32(id);
}

/**
 * Which archive segments may hold a record of a given id (archive.ts `findById`): per segment, the
 * set of its records' id hashes. A hash match is a hint, checked against the segment's records; a
 * miss is certain, so an id no segment holds is answered without reading any. About 4 bytes of hash
 * and a set entry per archived record, not the records: the archive itself stays on disk.
 *
 * Built once from the segments (`idsIn`, read by the archive); ids written meanwhile are added as
 * they are written, so the two together miss none.
 */
export class ArchiveIds {
  private bySegment = new Map<number, Set<number>>();
  readonly ready: Promise<void>;

  /** Reads the ids of each of `segments` (`idsIn`), one segment at a time. */
  constructor(segments: readonly number[], idsIn: (segment: number) => Promise<Array<string | undefined>>) {
    this.ready = (async () => {
      for (const n of segments) for (const id of await idsIn(n)) if (id !== undefined) this.add(n, id);
    })();
  }

  private hashesOf(segment: number): Set<number> {
    let hashes = this.bySegment.get(segment);
    if (!hashes) this.bySegment.set(segment, (hashes = new Set()));
    return hashes;
  }

  add(segment: number, id: string): void {
    if (id !== '') this.hashesOf(segment).add(idHash(id));
  }

  mayHold(segment: number, id: string): boolean {
    return this.bySegment.get(segment)?.has(idHash(id)) ?? false;
  }

  /** A segment dropped by retention. */
  drop(segment: number): void {
    this.bySegment.delete(segment);
  }
}
