import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeFileOf } from '../../agent/store/open-store.ts';
import { loadConfig, parseConfig } from '../../config/load.ts';
import { parseAllDocuments } from 'yaml';
import { STOP_LIMIT_MS } from '../../scim-server/serve.ts';
import { PROBE_WAIT_MS } from '../../scim-server/ops/readiness.ts';
import { MAX_GROUP_BODY_BYTES } from '../../scim-server/scim/body.ts';
import { REPO_ROOT } from './server-process.ts';

/**
 * The deployment files say what the production-install test runs (the container itself cannot be
 * built here: no Docker engine). These checks catch them drifting from the code: a folder the
 * Dockerfile copies that no longer exists, a start command that is not the built server, a config
 * example the loader refuses.
 */
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const START = 'dist/scim-server/main.js';

test('Dockerfile: multi-stage, builds with npm run build, runs the built server as a non-root user, HEALTHCHECK on /readyz, a data volume', () => {
  const docker = read('Dockerfile');
  const stages = [...docker.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(stages, ['build', 'runtime']);
  assert.match(docker, /^RUN npm run build$/m);
  assert.match(docker, /^RUN npm ci --omit=dev\b/m);
  assert.match(docker, /^COPY --from=build \/src\/dist \.\/dist$/m);
  for (const [, source] of docker.matchAll(/^COPY (?!--from)(\S+)/gm)) assert.ok(existsSync(join(REPO_ROOT, source!)), `Dockerfile copies ${source}, which does not exist`);
  const runtime = docker.slice(docker.indexOf('AS runtime'));
  const user = /^USER (\S+)$/m.exec(runtime)?.[1];
  assert.ok(user && !['root', '0'].includes(user), `runs as ${user}`);
  assert.match(runtime, /^HEALTHCHECK .*\n?.*\/readyz/m);
  assert.match(runtime, /^VOLUME \["\/var\/lib\/hubwarden"\]$/m);
  assert.match(runtime, new RegExp(`^CMD \\["node", "${START}"\\]$`, 'm'));
});

test('systemd unit: starts the built server, stops it with SIGTERM and waits longer than its 10 s grace', () => {
  const unit = read('deploy/hubwarden.service');
  assert.match(unit, new RegExp(`^ExecStart=/usr/bin/node ${START}$`, 'm'));
  assert.match(unit, /^KillSignal=SIGTERM$/m);
  assert.ok(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]) > 10);
  assert.match(unit, /^User=hubwarden$/m);
  assert.match(unit, /^StateDirectory=hubwarden$/m);
});

test('the example production config loads, keeps its state under the volume, and takes every secret from the environment', () => {
  const config = loadConfig(join(REPO_ROOT, 'deploy/hubwarden.yaml'), { HUBWARDEN_ADMIN_TOKEN: 'a', META_TOKEN: 'b', META_MAIN_SCIM_TOKEN: 'c' });
  assert.equal(storeFileOf(config)!, '/var/lib/hubwarden/hubwarden.json');
  assert.equal(config.pathOf(config.file.secrets.keyFile), '/var/lib/hubwarden/hubwarden.key');
  // The default audit.file (data/audit.log) resolves against the working directory, which the
  // unit (/opt/hubwarden, read-only under ProtectSystem=strict) and the image (/app, root-owned,
  // run as node) do not let the server write: every audit line would be refused and retried.
  assert.equal(config.pathOf(config.file.audit.file), '/var/lib/hubwarden/audit.log');
  assert.equal(config.file.server.host, '0.0.0.0');
  assert.doesNotMatch(read('deploy/hubwarden.yaml'), /\bfile:(?!\s)/); // no file: secret reference (audit: { file: … } is a key)
});

test('README "Run in production" gives npm ci --omit=dev and the node command', () => {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Run in production'));
  assert.ok(readme.includes('## Run in production'));
  const body = section.slice(0, section.indexOf('\n## ', 5));
  assert.match(body, /npm run build/);
  assert.match(body, /npm ci --omit=dev/);
  assert.match(body, new RegExp(`node ${START.replaceAll('.', '\\.')}`));
});

test('Kubernetes Deployment: probes on /readyz and /healthz, a grace longer than the stop, non-root on a read-only root with every path it writes on a writable volume', () => {
  type Mount = { name: string; mountPath: string; readOnly?: boolean };
  type Probe = { httpGet: { path: string; port: string } };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const docs = parseAllDocuments(read('deploy/kubernetes.yaml')).map((d) => d.toJS() as any);
  const pod = docs.find((d) => d.kind === 'Deployment').spec.template.spec;
  const container = pod.containers[0];
  const readiness = container.readinessProbe as Probe;
  const liveness = container.livenessProbe as Probe;
  assert.equal(readiness.httpGet.path, '/readyz');
  // Liveness must not follow a shared dependency: a database outage would restart every replica.
  assert.equal(liveness.httpGet.path, '/healthz');
  // /readyz waits up to PROBE_WAIT_MS for the store's answer (a busy pool queues its SELECT 1);
  // the kubelet's timeoutSeconds defaults to 1 s and a timeout counts as a failure
  // (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#configure-probes):
  // under load every replica would leave the Service together.
  const readinessTimeout = (container.readinessProbe.timeoutSeconds ?? 1) * 1000;
  assert.ok(readinessTimeout > PROBE_WAIT_MS, `readinessProbe.timeoutSeconds ${readinessTimeout / 1000} s, /readyz may take ${PROBE_WAIT_MS / 1000} s`);
  for (const probe of [readiness, liveness]) assert.ok(container.ports.some((p: { name: string }) => p.name === probe.httpGet.port), `probe port ${probe.httpGet.port}`);
  // SIGKILL comes terminationGracePeriodSeconds after SIGTERM (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination).
  assert.ok(pod.terminationGracePeriodSeconds * 1000 > STOP_LIMIT_MS, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}`);
  // The image's USER is a name (node): runAsNonRoot can be checked by the kubelet only with a numeric uid
  // (https://kubernetes.io/docs/tasks/configure-pod-container/security-context/).
  const security = { ...pod.securityContext, ...container.securityContext };
  assert.equal(security.runAsNonRoot, true);
  assert.ok(Number.isInteger(security.runAsUser) && security.runAsUser > 0, `runAsUser ${security.runAsUser}`);
  assert.equal(security.readOnlyRootFilesystem, true);
  assert.equal(security.allowPrivilegeEscalation, false);
  assert.deepEqual(security.capabilities?.drop, ['ALL']);
  // What the server writes must then be on a writable volume: audit.file (and a lowdb store).
  const config = parseConfig(docs.find((d) => d.kind === 'ConfigMap').data['hubwarden.yaml'], '/etc/hubwarden/hubwarden.yaml', { DATABASE_URL: 'postgres://u@db/h', HUBWARDEN_ADMIN_TOKEN: 'a', META_TOKEN: 'b', META_MAIN_SCIM_TOKEN: 'c' });
  const mounts = container.volumeMounts as Mount[];
  const mountOf = (path: string) => mounts.filter((m) => path.startsWith(`${m.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  for (const written of [config.pathOf(config.file.audit.file), ...(storeFileOf(config) ? [storeFileOf(config)!] : [])]) {
    const mount = mountOf(written);
    assert.ok(mount && !mount.readOnly, `${written} is on no writable volume`);
  }
  assert.ok(mountOf(config.pathOf(config.file.secrets.keyFile)), 'the key file comes from a volume (the Secret)');
});

/**
 * The nginx samples (deploy/nginx-replicas.conf, the one in docs/operations.md): each fact below
 * was found wrong by running the two-replica sample behind nginx 1.22.1 (docs/scaling.md,
 * "Sample deployment"). Directives are read from the text, comments left out.
 */
const directivesOf = (conf: string, name: string) =>
  [...conf.replace(/#.*$/gm, '').matchAll(new RegExp(`(?:^|[{;])\\s*${name}\\s+([^;]*);`, 'gm'))].map((m) => m[1]!.trim());
/** nginx sizes (https://nginx.org/en/docs/syntax.html): k, m, g are powers of 1024. */
const nginxBytes = (size: string) => {
  const m = /^(\d+)([kmg]?)$/i.exec(size);
  assert.ok(m, `size ${size}`);
  return Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
};
const nginxSamples = () => {
  const operations = read('docs/operations.md');
  const block = /```nginx\n([\s\S]*?)```/.exec(operations)?.[1];
  assert.ok(block, 'docs/operations.md has an nginx example');
  return { 'deploy/nginx-replicas.conf': read('deploy/nginx-replicas.conf'), 'docs/operations.md': block };
};

test('nginx samples: a SCIM group write up to the server limit passes nginx (client_max_body_size, default 1m)', () => {
  for (const [where, conf] of Object.entries(nginxSamples())) {
    const sizes = directivesOf(conf, 'client_max_body_size');
    assert.equal(sizes.length, 1, `${where}: one client_max_body_size`);
    assert.ok(nginxBytes(sizes[0]!) >= MAX_GROUP_BODY_BYTES, `${where}: client_max_body_size ${sizes[0]} < ${MAX_GROUP_BODY_BYTES} bytes`);
  }
});

test('nginx samples: the browser Host passes on with its port, X-Forwarded-For is replaced, /metrics stays internal', () => {
  for (const [where, conf] of Object.entries(nginxSamples())) {
    const headers = new Map(directivesOf(conf, 'proxy_set_header').map((v) => v.split(/\s+/) as [string, string]));
    // $host drops the port (https://nginx.org/en/docs/http/ngx_http_core_module.html#var_host):
    // with a publicUrl on another port than 443 the dashboard answered every page 421 (own-host.ts).
    const host = headers.get('Host');
    const uncommented = conf.replace(/#.*$/gm, '');
    const mapped = (v = '') => [...uncommented.matchAll(/\bmap\s+\$http_host\s+(\$\w+)\s*\{([^}]*)\}/g)]
      .some(([, variable, body]) => variable === v && /(?:^|[{;])\s*default\s+\$http_host;/.test(body!));
    assert.ok(host === '$http_host' || mapped(host), `${where}: proxy_set_header Host ${host}`);
    // Appending ($proxy_add_x_forwarded_for) lets a client inside server.trustProxy name any address.
    assert.equal(headers.get('X-Forwarded-For'), '$remote_addr', where);
    assert.match(conf, /location = \/metrics \{ return 404; \}/, where);
  }
});

test('nginx replicas sample: loads on nginx before 1.25.1, sends a POST or PATCH once, and passes hubwarden\'s 503 on', () => {
  const conf = nginxSamples()['deploy/nginx-replicas.conf'];
  // `http2 on;` is from nginx 1.25.1 (https://nginx.org/en/docs/http/ngx_http_v2_module.html#http2);
  // Debian 12's 1.22.1 refuses the file (`nginx -t`: unknown directive "http2").
  assert.deepEqual(directivesOf(conf, 'http2'), []);
  const next = directivesOf(conf, 'proxy_next_upstream').join(' ').split(/\s+/);
  // non_idempotent would send a POST again after a replica took it (a duplicate create).
  assert.ok(!next.includes('non_idempotent'), 'proxy_next_upstream non_idempotent');
  // A 503 counted as the replica failing: one database down marked both replicas failed and nginx
  // answered 502 "no live upstreams" for fail_timeout instead of the 503 with Retry-After.
  assert.ok(!next.includes('http_503'), 'proxy_next_upstream http_503');
});

/** nginx times (https://nginx.org/en/docs/syntax.html): ms, s, m, h; a bare number is seconds. */
const nginxMs = (time: string) => {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(time);
  assert.ok(m, `time ${time}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
};
/** Okta's on-premises connector waits 30 s at least (https://help.okta.com/en-us/Content/Topics/Provisioning/opp/opp-api-timeout.htm). */
const IDP_WAITS_MS = 30_000;

test('nginx replicas sample: a PUT is sent to the other replica only while the identity provider still waits, never after a read timeout', () => {
  const conf = nginxSamples()['deploy/nginx-replicas.conf'];
  const one = (name: string, fallback: string) => {
    const values = directivesOf(conf, name);
    assert.ok(values.length <= 1, `one ${name}`);
    return nginxMs(values[0] ?? fallback);
  };
  const next = directivesOf(conf, 'proxy_next_upstream').join(' ').split(/\s+/);
  // nginx resends GET, PUT and DELETE once they reached a replica, on `error` or `timeout`
  // (https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_next_upstream); only
  // proxy_next_upstream_timeout (default 0: none) stops it, counted from the request's start.
  if (next.includes('off')) return;
  const window = one('proxy_next_upstream_timeout', '0');
  assert.ok(window > 0, 'proxy_next_upstream_timeout is set: without it a PUT that got no answer in proxy_read_timeout goes to the other replica');
  // Sent again (after `error` reading the header) only while the identity provider is still there.
  assert.ok(window < IDP_WAITS_MS, `proxy_next_upstream_timeout ${window} ms`);
  if (next.includes('timeout')) {
    // A read or send timeout always falls after the window, so it is a 504, not a second PUT.
    assert.ok(one('proxy_read_timeout', '60s') >= window, 'proxy_read_timeout inside the retry window');
    assert.ok(one('proxy_send_timeout', '60s') >= window, 'proxy_send_timeout inside the retry window');
    // ...while a connect timeout (nothing sent) still falls inside it: a dead host is skipped.
    assert.ok(one('proxy_connect_timeout', '60s') < window, 'a connect timeout past the retry window is a 504');
  }
});

test('Kubernetes sample: an ingress-nginx in front bounds its resends the same way', () => {
  const text = read('deploy/kubernetes.yaml');
  // ingress-nginx's default proxy-next-upstream-timeout is 0 (no bound) with "error timeout"
  // (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/).
  const key = 'nginx.ingress.kubernetes.io/proxy-next-upstream-timeout';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ingresses = parseAllDocuments(text).map((d) => d.toJS() as any).filter((d) => d?.kind === 'Ingress');
  const values = [...ingresses.map((i) => String(i.metadata?.annotations?.[key])),
    ...[...text.matchAll(new RegExp(`^#\\s+${key.replaceAll('.', '\\.')}:\\s*"?(\\d+)"?`, 'gm'))].map((m) => m[1]!)];
  assert.ok(values.length > 0, `kubernetes.yaml says to set ${key}`);
  for (const v of values) assert.ok(Number(v) > 0 && Number(v) * 1000 < IDP_WAITS_MS, `${key}: ${v}`);
});
