import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';

/** A named, reusable request: what a task usually needs, so nobody retypes ARNs. */
const TEMPLATE = z
  .object({
    role: z.string(),
    actions: z.array(z.string()).min(1),
    resources: z.array(z.string()).min(1),
    for: z.string().optional(),
    reason: z.string().optional(),
    ticket: z.string().optional(),
  })
  .strict();
const TEMPLATES_FILE = z.object({ templates: z.record(z.string(), TEMPLATE) }).strict();

type TaskTemplate = z.infer<typeof TEMPLATE>;

const templatesPath = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'jit', 'templates.json');

/** Reads template `name` from `path` (default: templates.json next to the config file). */
const loadTemplate = (name: string, path: string): TaskTemplate => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--template ${name}: cannot read the templates file ${path} (pass --templates FILE)`);
  }
  let parsed: z.infer<typeof TEMPLATES_FILE>;
  try {
    parsed = TEMPLATES_FILE.parse(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`${path} is not a valid templates file: ${(error as Error).message}`);
  }
  const template = parsed.templates[name];
  if (template === undefined) {
    throw new UsageError(
      `no template '${name}' in ${path}; it has: ${Object.keys(parsed.templates).join(', ') || 'none'}`
    );
  }
  return template;
};

export type { TaskTemplate };
export { loadTemplate, templatesPath };
