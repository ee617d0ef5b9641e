import { z } from 'zod';

/**
 * A URL hubwarden calls or hands out (the public URL, an IdP's base URL, an API base URL): http or
 * https only. `z.url()` alone takes any scheme WHATWG URL parses (https://url.spec.whatwg.org/),
 * so `javascript:alert(1)`, `file:///etc/passwd` or `ftp://host` would pass validation and fail
 * (or worse, be followed or shown as a link) only at run time.
 */
export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http or https URL, such as https://example.com' });
