import * as access from '../accessRoutes.js';
import * as ci from '../ciRoutes.js';
import { chainSigning, workloadTokens } from './modules.js';
import { lambdaBundle } from './runtime.js';

/** Vends of approved grants: one AssumeRole and one transaction, decided at request time. */
const bundle = lambdaBundle('access', { workloadTokens, chainSigning });

export const vendCredentials = bundle.http(access.vendCredentials);
export const ciRevend = bundle.http(ci.ciRevend);
