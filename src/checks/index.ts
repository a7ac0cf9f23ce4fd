import type { DomainFacts } from '../facts.js';

/**
 * Named checks: conditions a declarative `when` cannot say. Each returns one set of template
 * arguments per finding it raises (an empty list raises none).
 */
export interface CheckContext {
  facts: DomainFacts;
  domain: string;
}

export interface NamedCheck {
  /** JSON Schema for the rule's `options`, checked when the rules load. */
  optionsSchema: Record<string, unknown>;
  run(node: unknown, options: Record<string, unknown>, ctx: CheckContext): Record<string, unknown>[];
}

export const CHECKS: Record<string, NamedCheck> = {};
