/**
 * Where an answer carries an id as a JSON number no JSON reader keeps exactly (not a safe integer:
 * past 2^53), its path (`list[3].user_id`), else undefined. TikTok's ids are int64 (the gateway's
 * `x-open-convert: int64(%s)`, https://github.com/tiktok/tiktok-business-api-sdk/tree/main/yml_files)
 * and v1.3 sends them as strings; sent as numbers, ids of 19 digits arrive rounded, so distinct
 * members fold into one id and the rest look gone [INF #64]. A safe integer is read as its digits.
 */
export function inexactId(value: unknown, path = 'data'): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = inexactId(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const idKey = /(^|_)ids?$/.test(k) && k !== 'request_id';
    if (idKey && typeof v === 'number' && !Number.isSafeInteger(v)) return `${path}.${k}`;
    if (idKey && Array.isArray(v) && v.some((x) => typeof x === 'number' && !Number.isSafeInteger(x))) return `${path}.${k}`;
    const found = inexactId(v, `${path}.${k}`);
    if (found) return found;
  }
  return undefined;
}
