/**
 * The fault plan: rules that make matching requests fail in B2's real ways (reference §17.8),
 * counted per kind so tests and the soak can report what was injected.
 */
import type { Fault, FaultRule } from './options';

interface LiveRule {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export class FaultPlan {
  private rules: LiveRule[] = [];
  private readonly counts: Record<string, number> = {};
  private random: () => number;

  constructor(rules: FaultRule[] = [], seed = 1) {
    this.random = mulberry32(seed);
    for (const rule of rules) this.add(rule);
  }

  add(rule: FaultRule): void {
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new RangeError('fault probability must be between 0 and 1');
    }
    this.rules.push({ rule, seen: 0, fired: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** How many faults of each kind were injected (`status:503`, `expiredToken`, `resetRequest`, …). */
  injected(): Record<string, number> {
    return { ...this.counts };
  }

  /** The fault for this request, if a rule fires. Each rule is consulted in order; the first that fires wins. */
  take(call: string): Fault | undefined {
    for (const live of this.rules) {
      const { rule } = live;
      if (rule.call !== '*' && rule.call !== call) continue;
      if (live.fired >= (rule.times ?? 1)) continue;
      live.seen++;
      if (live.seen <= (rule.skip ?? 0)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      live.fired++;
      const name = rule.fault.kind === 'status' ? `status:${rule.fault.status}` : rule.fault.kind;
      this.counts[name] = (this.counts[name] ?? 0) + 1;
      return rule.fault;
    }
    return undefined;
  }
}

/** A small seeded PRNG (mulberry32) so probabilistic fault runs repeat; tests reuse it. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
