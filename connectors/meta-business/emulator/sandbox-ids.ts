/** Ids and tokens of the sandbox fixture (fixtures/sandbox.json), for tests and docs. */
export const SANDBOX = {
  businessId: '1000000000000001',
  token: 'sandbox-system-user-token',
  systemUserId: '1000000000000900',
  appId: '1000000000000999',
  admins: ['1000000000000101', '1000000000000102'],
  employees: ['1000000000000103', '1000000000000104', '1000000000000105', '1000000000000106'],
  contractorEmail: 'contractor@agency.example',
  pendingInviteId: '1000000000000301',
  pendingInviteEmail: 'new.hire@sandbox.example',
  expiredInviteId: '1000000000000302',
  expiredInviteEmail: 'late.joiner@sandbox.example',
  adAccounts: ['act_111', 'act_112'],
  pageId: '222',
  catalogId: '333',
  pixelId: '444',
  partner: {
    businessId: '2000000000000002',
    token: 'sandbox-partner-token',
    systemUserId: '2000000000000900',
    users: ['2000000000000201', '2000000000000202'],
  },
} as const;
