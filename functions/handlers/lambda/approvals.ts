import * as grants from '../grantRoutes.js';
import { chainSigning, policies } from './modules.js';
import { lambdaBundle } from './runtime.js';

/** Approvals: policies may forbid an approver (Cedar's `approve` action). */
const bundle = lambdaBundle('approvals', { policies, chainSigning });

export const approveGrant = bundle.http(grants.approveGrant);
