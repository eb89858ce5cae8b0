import * as grants from '../grantRoutes.js';
import { lambdaBundle } from './runtime.js';

/** `GET /health`: the catalog's version, from the configuration; nothing else is loaded. */
const bundle = lambdaBundle('health', {});

export const health = bundle.http(grants.health);
