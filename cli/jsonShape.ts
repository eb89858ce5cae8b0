/**
 * The few shapes the CLI's own files take (config.json, templates.json), checked without a schema
 * library: the CLI starts on every AWS call through credential_process, and zod alone would be
 * half of its bundle.
 */
type Field = 'string' | 'string?' | 'strings';

type Shape = Readonly<Record<string, Field>>;
/** A shape with exactly the keys of T. */
type ShapeOf<T> = { readonly [K in keyof Required<T>]: Field };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fieldProblem = (value: unknown, field: Field): string | undefined => {
  if (field === 'strings') {
    return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')
      ? undefined
      : 'must be a non-empty list of strings';
  }
  if (value === undefined) return field === 'string?' ? undefined : 'is required';
  return typeof value === 'string' ? undefined : 'must be a string';
};

/** Every problem of `value` against `shape`, as `path: problem`; unknown keys are problems too. */
const shapeProblems = (value: unknown, shape: Shape, path = ''): string[] => {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (!isObject(value)) return [`${path || '(top)'}: must be a JSON object`];
  const unknown = Object.keys(value)
    .filter((key) => !(key in shape))
    .map((key) => `${at(key)}: not a setting (known: ${Object.keys(shape).join(', ')})`);
  const wrong = Object.entries(shape).flatMap(([key, field]) => {
    const problem = fieldProblem(value[key], field);
    return problem === undefined ? [] : [`${at(key)}: ${problem}`];
  });
  return [...unknown, ...wrong];
};

export type { Shape, ShapeOf };
export { isObject, shapeProblems };
