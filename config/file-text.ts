import { isUtf8 } from 'node:buffer';

/**
 * A config file's bytes as text, or why they are not: YAML is Unicode text
 * (https://yaml.org/spec/1.2.2/#52-character-encodings), and read as UTF-8 a byte that is not
 * (a group name saved as Latin-1 "Caf\xE9") became U+FFFD without a word: a team for a group no
 * identity provider has, which nobody ever joined. A UTF-16 file (Windows "Unicode") is named as
 * that, since every line of it is "not UTF-8".
 */
export function configText(bytes: Buffer): { text: string } | { problem: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8' };
  }
  if (!isUtf8(bytes)) {
    // The first line holding a byte that is not UTF-8, so the user finds it (never the bytes themselves: a line may hold anything).
    let start = 0;
    for (let line = 1; start <= bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end < 0 ? bytes.length : end;
      if (!isUtf8(bytes.subarray(start, stop))) return { problem: `line ${line}: holds bytes that are not UTF-8 text (a file saved as Latin-1 or Windows-1252?); save the file as UTF-8` };
      start = stop + 1;
    }
    return { problem: 'holds bytes that are not UTF-8 text; save the file as UTF-8' };
  }
  return { text: bytes.toString('utf8') };
}

/**
 * Far more than any config needs (a hub with a thousand teams is well under a megabyte): a file
 * past it is the wrong file (a log, a dump), refused before it is parsed.
 */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * The paths of `__proto__` keys: yaml keeps one as a plain key, but the schema's copy of a hub or
 * an asset grant (a loose object piped on) assigned it, which sets the copy's prototype instead: the
 * key vanished, never named as unknown.
 */
export function prototypeKeys(value: unknown, path: PropertyKey[]): PropertyKey[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => prototypeKeys(v, [...path, i]));
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((k) => (k === '__proto__' ? [[...path, k]] : prototypeKeys((value as Record<string, unknown>)[k], [...path, k])));
}
