import * as access from '../accessRoutes.js';
import * as ci from '../ciRoutes.js';
import * as grants from '../grantRoutes.js';
import { actionCatalog, chainSigning, policies, workloadTokens } from './modules.js';
import { lambdaBundle } from './runtime.js';

/** Requests (a person's, an extension, a CI job's deploy): a scope narrowed with the action catalog, then decided. */
const bundle = lambdaBundle('requests', { policies, actionCatalog, workloadTokens, chainSigning });

export const createGrant = bundle.http(grants.createGrant);
export const extendGrant = bundle.http(access.extendGrant);
export const ciCredentials = bundle.http(ci.ciCredentials);
