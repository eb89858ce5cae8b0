/**
 * Deterministic interleavings of concurrent actors (renderers, enders, a clock) over in-memory
 * ports. Every port call an actor makes stops at a gate until the explorer lets exactly one
 * pending call through; its effect happens then, so a call that waits at its gate is "in flight"
 * (an IAM write that has not landed yet). `explore` replays a scenario under every schedule with
 * at most `preemptions` switches away from an actor that could go on (context bounding: the
 * schedules that find most concurrency bugs), depth first, from the same start each time.
 */

interface Step {
  readonly actor: string;
  readonly label: string;
  readonly go: () => void;
}

class Interleaver {
  readonly #pending: Step[] = [];
  readonly #dead = new Set<string>();

  /** A call of `actor` that runs `effect` only when the explorer lets it through. */
  gate<T>(actor: string, label: string, effect: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ actor, label, go: () => Promise.resolve().then(effect).then(resolve, reject) });
    });
  }

  /** `port` as `actor` sees it: every method call waits at a gate named `<name>.<method>`. */
  gated<T extends object>(actor: string, name: string, port: T): T {
    return new Proxy(port, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => this.gate(actor, `${name}.${String(prop)}`, () => value.apply(target, args));
      },
    });
  }

  /** The actor never takes another step (a process that died): its calls in flight never land. */
  kill(actor: string): void {
    this.#dead.add(actor);
  }

  /** The calls waiting at their gates, in a stable order (actor, then arrival). */
  pending(): readonly Step[] {
    return this.#pending
      .filter((s) => !this.#dead.has(s.actor))
      .sort((a, b) => (a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0));
  }

  /** Lets the next call of `actor` through (checking it is `label`, if given); see release. */
  async next(actor: string, label?: string): Promise<void> {
    const step = this.pending().find((s) => s.actor === actor);
    if (step === undefined || (label !== undefined && step.label !== label)) {
      throw new Error(`${actor} is not waiting at ${label ?? 'any call'}: ${step?.label ?? 'done'}`);
    }
    await this.release(step);
  }

  /** Lets `actor` go on until its next call is `label` (not released), or until it is done. */
  async runUntil(actor: string, label?: string): Promise<void> {
    for (let step = this.pending().find((s) => s.actor === actor); step !== undefined; ) {
      if (step.label === label) return;
      await this.release(step);
      step = this.pending().find((s) => s.actor === actor);
    }
    if (label !== undefined) throw new Error(`${actor} finished without calling ${label}`);
  }

  /** Lets one call through and waits until every actor is at a gate again (or done). */
  async release(step: Step): Promise<void> {
    this.#pending.splice(this.#pending.indexOf(step), 1);
    step.go();
    await settled();
  }
}

/** In-memory ports resolve in microtasks: one macrotask turn lets every actor reach its next gate. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Decision {
  readonly options: readonly string[];
  readonly taken: number;
  readonly preemptionsBefore: number;
  /** The actor that ran last before this decision, if it could go on. */
  readonly current: string | undefined;
}

/** One run of a scenario: it spawns its actors on the interleaver, and checks what it must after. */
type Scenario = (interleaver: Interleaver) => { readonly check: () => void | Promise<void> };

/**
 * Runs `scenario` under one schedule: `prefix` choices first (indexes into the pending calls),
 * then the current actor goes on while it can, else the first pending one. Returns the decisions
 * taken and the run's schedule (labels), for exploring the rest and for failure messages.
 */
const runOnce = async (scenario: Scenario, prefix: readonly number[]) => {
  const interleaver = new Interleaver();
  const { check } = scenario(interleaver);
  await settled();
  const decisions: Decision[] = [];
  const trace: string[] = [];
  let current: string | undefined;
  let preemptions = 0;
  for (let pending = interleaver.pending(); pending.length > 0; pending = interleaver.pending()) {
    const canContinue = pending.some((s) => s.actor === current) ? current : undefined;
    const fallback = canContinue === undefined ? 0 : pending.findIndex((s) => s.actor === canContinue);
    const taken = prefix[decisions.length] ?? fallback;
    const step = pending[taken] as Step;
    decisions.push({
      options: pending.map((s) => s.actor),
      taken,
      preemptionsBefore: preemptions,
      current: canContinue,
    });
    if (canContinue !== undefined && step.actor !== canContinue) preemptions += 1;
    trace.push(`${step.actor}:${step.label}`);
    current = step.actor;
    await interleaver.release(step);
  }
  try {
    await check();
  } catch (error) {
    (error as Error).message += `\nschedule: ${trace.join(' → ')}`;
    throw error;
  }
  return { decisions, trace };
};

/**
 * Every schedule with at most `preemptions` preemptions (and at most `limit` runs), depth first.
 * Answers how many schedules ran.
 */
const explore = async (
  scenario: Scenario,
  options: { readonly preemptions: number; readonly limit: number }
): Promise<number> => {
  const stack: number[][] = [[]];
  let runs = 0;
  while (stack.length > 0 && runs < options.limit) {
    const prefix = stack.pop() as number[];
    const { decisions } = await runOnce(scenario, prefix);
    runs += 1;
    for (let depth = decisions.length - 1; depth >= prefix.length; depth--) {
      const d = decisions[depth] as Decision;
      for (let alternative = 0; alternative < d.options.length; alternative++) {
        if (alternative === d.taken) continue;
        const preempts = d.current !== undefined && d.options[alternative] !== d.current ? 1 : 0;
        if (d.preemptionsBefore + preempts > options.preemptions) continue;
        stack.push([...decisions.slice(0, depth).map((x) => x.taken), alternative]);
      }
    }
  }
  return runs;
};

export type { Scenario };
export { explore, Interleaver, runOnce };
