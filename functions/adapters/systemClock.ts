import type { Clock } from '../ports.js';

const systemClock: Clock = { now: () => new Date() };

export { systemClock };
