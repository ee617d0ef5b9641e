/**
 * Page-number paging (`page` 1-based, `page_size`), with `page_info` =
 * `{page, page_size, total_number, total_page}`; a page past the end is an empty `list` with the
 * same `page_info`, and `total_page` is 0 for an empty list.
 */
import { paramError } from './envelope.ts';

export interface PageInfo {
  page: number;
  page_size: number;
  total_number: number;
  total_page: number;
}

export function paginate<T>(items: T[], page: number, pageSize: number, keep?: number, pastEndCode?: 40002): { list: T[]; page_info: PageInfo } {
  const start = (page - 1) * pageSize;
  // Another reading (readings.ts pagePastEndCode): a page past the last one is refused.
  if (pastEndCode && page > 1 && start >= items.length) throw paramError(`page: ${page} is past the last page (${Math.ceil(items.length / pageSize)})`);
  let list = items.slice(start, start + pageSize);
  // Fault injection: a short page (rows shifting under offset paging look like this).
  if (keep !== undefined) list = list.slice(0, keep);
  return {
    list,
    page_info: { page, page_size: pageSize, total_number: items.length, total_page: Math.ceil(items.length / pageSize) },
  };
}
