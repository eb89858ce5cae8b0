import { GRANT_ID } from '../config/patterns.js';
import { NotFoundError } from '../domain/errors.js';

/** Path ids are untrusted: anything that is not a grant id is simply not found. */
const grantIdOf = (params: Readonly<Record<string, string>>): string => {
  const id = params.id ?? '';
  if (!GRANT_ID.test(id)) throw new NotFoundError('GRANT_NOT_FOUND', 'no such grant: ids look like g-01j…');
  return id;
};

export { grantIdOf };
