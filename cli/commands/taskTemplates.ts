import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { isObject, type ShapeOf, shapeProblems } from '../jsonShape.js';

/** A named, reusable request: what a task usually needs, so nobody retypes ARNs. */
interface TaskTemplate {
  readonly role: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly for?: string;
  readonly reason?: string;
  readonly ticket?: string;
}
const TEMPLATE: ShapeOf<TaskTemplate> = {
  role: 'string',
  actions: 'strings',
  resources: 'strings',
  for: 'string?',
  reason: 'string?',
  ticket: 'string?',
};

/** `{"templates": {"<name>": <template>, …}}`, every problem at once. */
const templatesFileProblems = (value: unknown): string[] => {
  if (!isObject(value) || !isObject(value.templates)) return ['it must be {"templates": {"<name>": {…}}}'];
  const extra = Object.keys(value).filter((key) => key !== 'templates');
  return [
    ...extra.map((key) => `${key}: not a setting (known: templates)`),
    ...Object.entries(value.templates).flatMap(([name, template]) =>
      shapeProblems(template, TEMPLATE, `templates.${name}`)
    ),
  ];
};

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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const problems = templatesFileProblems(parsed);
  if (problems.length > 0) throw new UsageError(`${path} is not a valid templates file: ${problems.join('; ')}`);
  const { templates } = parsed as { templates: Record<string, TaskTemplate> };
  const template = templates[name];
  if (template === undefined) {
    throw new UsageError(`no template '${name}' in ${path}; it has: ${Object.keys(templates).join(', ') || 'none'}`);
  }
  return template;
};

export type { TaskTemplate };
export { loadTemplate, templatesPath };
