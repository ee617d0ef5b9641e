/**
 * Sign-in and Graph hosts of Microsoft's national clouds (US Government, China):
 * https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud and
 * https://learn.microsoft.com/graph/deployments.
 */
const NATIONAL_CLOUD_HOSTS = new Set([
  'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn',
  'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn',
]);

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
};

/**
 * Why an Entra provider's `lifecycleWorkflows` cannot be used, or undefined when it can.
 *
 * Lifecycle Workflows callouts are taken from the global Microsoft cloud only. The custom task
 * extension docs (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility)
 * name the global cloud's token issuer (`https://sts.windows.net/{tenant}/`) and Graph
 * (`https://graph.microsoft.com`) alone. A national cloud's issuers differ (China's v1.0 tokens come
 * from `sts.chinacloudapi.cn`), and a verifier guessing them would either refuse every callout (a
 * 401 the relay never retries: each leaver's task failed at its callback timeout, their seats kept)
 * or accept an issuer it cannot vouch for. Refused when the config is read instead, with why.
 */
export function nationalCloudLifecycleIssue(p: { authorityUrl: string; graphBaseUrl: string; lifecycleWorkflows?: unknown }): string | undefined {
  if (!p.lifecycleWorkflows) return undefined;
  for (const key of ['authorityUrl', 'graphBaseUrl'] as const) {
    const host = hostOf(p[key]);
    if (host && NATIONAL_CLOUD_HOSTS.has(host)) {
      return `Lifecycle Workflows callouts are accepted from the global Microsoft cloud only (${key} ${p[key]} is a national cloud's): remove lifecycleWorkflows, or use the global cloud (docs/entra-lifecycle-workflows.md)`;
    }
  }
  return undefined;
}
