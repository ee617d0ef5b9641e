/** Ids and tokens of the sandbox fixture (fixtures/sandbox.json), for tests and docs. */
export const TIKTOK_SANDBOX = {
  bcId: '7000000000000000001',
  token: 'sandbox-tiktok-token',
  appId: '7300000000000000001',
  /** the token's own user, a BOUND ADMIN ("hubwarden automation") */
  tokenUserId: '7200000000000000900',
  admins: ['7200000000000000101'],
  standard: ['7200000000000000103', '7200000000000000104', '7200000000000000105'],
  pendingEmail: 'new.hire@sandbox.example',
  rejectedEmail: 'declined@sandbox.example',
  adAccounts: ['7100000000000000001', '7100000000000000002'],
  catalogId: '7100000000000000101',
  tiktokAccountId: '7100000000000000201',
  partner: {
    bcId: '7000000000000000009',
    token: 'sandbox-tiktok-partner-token',
    sharedAdAccount: '7100000000000000901',
  },
} as const;
