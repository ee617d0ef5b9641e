import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * express's 'trust proxy' values (https://expressjs.com/en/guide/behind-proxies.html): false (the
 * default: X-Forwarded-For is ignored), true, a hop count, or addresses/subnets and the names
 * loopback, linklocal, uniquelocal, as a comma-separated string or a list.
 */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * A subnet's prefix as express's proxy-addr takes it (https://github.com/jshttp/proxy-addr#proxyaddrcompileval):
 * a length from 1 to the address's bits (32 for IPv4, 128 for IPv6), or for an IPv4 address a
 * netmask whose ones are contiguous (255.255.0.0). Anything else (10.0.0.0/99, a /0, 255.0.255.0,
 * a netmask on an IPv6 address) passed the config and made express throw "invalid range on
 * address" when the app was built: a stack trace after the store had opened, naming no key.
 */
function prefixFits(address: string, prefix: string): boolean {
  const family = isIP(address);
  if (/^\d{1,3}$/.test(prefix)) {
    const bits = Number(prefix);
    return bits >= 1 && bits <= (family === 6 ? 128 : 32);
  }
  if (family !== 4 || isIP(prefix) !== 4) return false;
  const mask = prefix.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const hostBits = 0xffffffff - mask; // the zeros after the ones: 2^k - 1 when the ones are contiguous
  return mask !== 0 && (hostBits & (hostBits + 1)) === 0;
}

const proxyEntry = (entry: string) => {
  const [address, prefix, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || !address) return false;
  if (prefix === undefined) return PROXY_NAMES.has(address) || isIP(address) !== 0;
  return isIP(address) !== 0 && prefixFits(address, prefix);
};
const proxyList = (v: string) => v.split(',').every(proxyEntry);
const SUBNET = 'a subnet is an address with a prefix from 1 to 32 (IPv4) or 128 (IPv6), such as 10.0.0.0/8, or an IPv4 netmask such as 10.0.0.0/255.0.0.0';

export const trustProxy = z.union([
  z.boolean(),
  z.number().int().min(0),
  z.string().refine(proxyList, `expected addresses, subnets (10.0.0.0/8) or loopback/linklocal/uniquelocal, comma-separated; ${SUBNET}`),
  z.array(z.string().refine(proxyEntry, `expected an address, a subnet (10.0.0.0/8) or loopback/linklocal/uniquelocal; ${SUBNET}`)),
], { error: 'expected true or false, a hop count, or addresses/subnets (10.0.0.0/8) or loopback/linklocal/uniquelocal as a comma-separated string or a list' });
