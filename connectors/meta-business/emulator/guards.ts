/**
 * Optional business rules Meta documents loosely or not at all (connectors/meta-business/README.md,
 * [INF] table); all off by default so the sandbox behaves like a plain, healthy business.
 */
import { GraphError, permissionsError } from './graph-error.ts';
import type { GraphContext } from './graph-context.ts';

export interface GuardOptions {
  /** People changes in a business whose two_factor_type is not `none` fail with 415/2859009 (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users, connectors/meta-business/README.md [INF]). */
  enforceTwoFactor?: boolean;
  /** The app lacks Advanced Access: `GET business_users` fails with code 10 (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started, connectors/meta-business/README.md [INF]). */
  noAdvancedAccess?: boolean;
  /**
   * The "7-day restriction" (connectors/meta-business/README.md [INF], unverified): a caller added fewer than N days ago gets
   * 10/2859030 "This Action Is Not Allowed" on people changes.
   */
  newAdminRestrictionDays?: number;
  /**
   * The app was not granted the business-to-business endpoints ("As of June 8, 2021, access to
   * these endpoints is limited. Apps without access will receive an error",
   * https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business):
   * the partner endpoints `/{business}/agencies`, `/{business}/clients` and `/{asset}/agencies`
   * answer code 10. [INF] Meta does not say which error; 10 is its "API permission denied". The
   * `client_*` asset listings stay open: Meta words their limit differently (apps that called
   * them in the last 30 days keep access).
   */
  noBusinessToBusinessAccess?: boolean;
  /**
   * Sharing an ad account needs another admin's approval: `POST /act_{id}/agencies` answers
   * `{"success":true,"requires_admin_approval":true}` ("sometimes", in the B2B guide,
   * https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)
   * and the share does not take effect. The approval happens at
   * business.facebook.com/settings/requests/admin_reviews, which no Graph call does and the
   * emulator does not model, so nothing is recorded (connectors/meta-business/README.md [INF]).
   */
  shareNeedsAdminApproval?: boolean;
  /**
   * The app lost (or never had) access to `GET /{business}/client_ad_accounts`: Meta is
   * "temporarily limiting access" there, and "Only apps that have successfully called this
   * endpoint within the last 30 days will continue to have access"
   * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/client_ad_accounts).
   * The listing answers `(#200) Permissions error`; the owned edges and every other client edge
   * stay open. [INF] Meta does not say which error; 200 is the permission code the edge lists
   * (connectors/meta-business/README.md).
   */
  clientAdAccountsLimited?: boolean;
}

/** `GET /{business}/client_ad_accounts`, when the app is outside Meta's limited access to it. */
export function checkClientAdAccountsAccess(ctx: GraphContext): void {
  if (ctx.runtime.guards.clientAdAccountsLimited) throw permissionsError();
}

/** The business-to-business endpoints, when the app has no access to them. */
export function checkBusinessToBusiness(ctx: GraphContext): void {
  if (ctx.runtime.guards.noBusinessToBusinessAccess) throw new GraphError({ code: 10, message: '(#10) Application does not have permission for this action' });
}

/** Before an invite, role change, removal or invite change. */
export function checkPeopleChange(ctx: GraphContext, businessId: string): void {
  const guards = ctx.runtime.guards;
  if (guards.enforceTwoFactor && ctx.world.businesses.get(businessId)?.two_factor_type !== 'none') {
    throw new GraphError({
      code: 415,
      subcode: 2859009,
      // The title is the one Meta's recorded error shows (java-business-sdk#438); no message or
      // error_user_msg is quoted, so none is made up (README [INF], Error wording).
      message: '(#415) Two-factor authentication required',
      userTitle: 'Two-factor authentication required',
    });
  }
  const days = guards.newAdminRestrictionDays;
  if (days) {
    const caller = ctx.world.systemUsers.get(ctx.caller.userId) ?? ctx.world.users.get(ctx.caller.userId);
    if (caller && ctx.runtime.now() - caller.created_time < days * 86_400_000) {
      throw new GraphError({
        code: 10,
        subcode: 2859030,
        message: '(#10) Application does not have permission for this action',
        userTitle: 'This Action Is Not Allowed',
        userMessage: 'Please retry this action in a few minutes',
      });
    }
  }
}

export function checkAdvancedAccess(ctx: GraphContext): void {
  if (ctx.runtime.guards.noAdvancedAccess) {
    throw new GraphError({ code: 10, message: '(#10) To use this endpoint your app needs Advanced Access to business_management' });
  }
}
