import * as grants from '../grantRoutes.js';
import * as reports from '../reportRoutes.js';
import { chainSigning } from './modules.js';
import { lambdaBundle } from './runtime.js';

/** Reads, the audit and reports, and the reviews that decide nothing (deny, cancel, after-the-fact review). */
const bundle = lambdaBundle('reads', { chainSigning });

export const listGrants = bundle.http(grants.listGrants);
export const getGrant = bundle.http(grants.getGrant);
export const getGrantAudit = bundle.http(grants.getGrantAudit);
export const getReport = bundle.http(reports.getReport);
export const denyGrant = bundle.http(grants.denyGrant);
export const cancelGrant = bundle.http(grants.cancelGrant);
export const reviewGrant = bundle.http(grants.reviewGrant);
