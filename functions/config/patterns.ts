/**
 * Shapes shared by the configuration and the request validation. User ids end up in STS session
 * names and source identities, so they keep to STS's character set.
 */
const USER_ID = /^[\w+=,.@-]{2,64}$/;
const ROLE_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const GROUP_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;
const PRINCIPAL_ENTRY = /^(?:group:[A-Za-z0-9][\w.-]{0,63}|[\w+=,.@-]{2,64})$/;
const ACCOUNT_ID = /^\d{12}$/;
/** An IAM role's unique id (`RoleId`), as in `aws:userid` before the colon. */
const ROLE_UNIQUE_ID = /^AROA[A-Z0-9]{12,124}$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** `service:Action`, with IAM's `*` and `?` wildcards allowed in the action part. */
const IAM_ACTION = /^(?:\*|[a-z0-9-]{1,64}:[A-Za-z0-9*?-]{1,128})$/;
const RESOURCE = /^(?:\*|arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|\*)?:[^\s]{1,1900})$/;
const TICKET = /^[A-Za-z0-9][\w#./:-]{0,127}$/;
/** `g-` and a lower-case ULID (Crockford base32: no i, l, o, u). */
const GRANT_ID = /^g-[0-9a-hjkmnp-tv-z]{26}$/;

export {
  ACCOUNT_ID,
  GRANT_ID,
  GROUP_NAME,
  IAM_ACTION,
  PRINCIPAL_ENTRY,
  RESOURCE,
  ROLE_ARN,
  ROLE_ID,
  ROLE_UNIQUE_ID,
  TICKET,
  USER_ID,
};
