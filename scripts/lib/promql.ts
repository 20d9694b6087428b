/**
 * Reads the vector selectors of a PromQL expression (metric name and label matchers) so tests can
 * prove that every metric an alert or a dashboard reads is one some component exports (the
 * predecessor alerted on a metric nobody exported). Parsing is Prometheus's own grammar
 * (@prometheus-io/lezer-promql, the one its web UI uses); this module only lets Grafana's template
 * variables through and walks the tree.
 */

import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: MatchOperator;
  value: string;
}

export interface VectorSelector {
  /** The metric name, or undefined for a selector such as `{__name__=~"a|b"}` without an equality. */
  name: string | undefined;
  matchers: LabelMatcher[];
}

export class PromQLSyntaxError extends Error {}

/** A string literal, a Grafana variable (`${var}`, `${var:format}`, `$var`, `[[var]]`), or neither. */
const LITERAL_OR_VARIABLE =
  /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g;

/**
 * Grafana substitutes its variables before Prometheus parses the query: a variable in a range or
 * subquery bracket becomes a duration, elsewhere (a grouping label, say) an identifier of its name.
 * Variables inside string literals stay as they are, as matcher values.
 */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(LITERAL_OR_VARIABLE, (match, braced, bare, bracketed, offset: number) => {
    const name = (braced ?? bare ?? bracketed) as string | undefined;
    if (name === undefined) return match;
    const before = expr.slice(0, offset).trimEnd().at(-1);
    return before === '[' || before === ':' ? '5m' : name;
  });
}

/** A PromQL string literal's value: backticks are raw, quotes take Go's escapes (JSON's suffice here). */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  const body = literal.slice(1, -1);
  return JSON.parse(`"${literal.startsWith("'") ? body.replace(/\\'/g, "'").replace(/"/g, '\\"') : body}"`);
}

function matcherOf(node: SyntaxNode, text: (node: SyntaxNode) => string): LabelMatcher {
  const name = node.getChild('LabelName') ?? node.getChild('QuotedLabelName')?.getChild('StringLiteral');
  const op = node.getChild('MatchOp');
  const value = node.getChild('StringLiteral');
  if (!name || !op || !value) throw new PromQLSyntaxError(`malformed label matcher "${text(node)}"`);
  const label = name.name === 'StringLiteral' ? unquote(text(name)) : text(name);
  return { label, op: text(op) as MatchOperator, value: unquote(text(value)) };
}

/** Every vector selector in `expr`, in order of appearance; throws PromQLSyntaxError on bad syntax. */
export function selectorsIn(expr: string): VectorSelector[] {
  const source = withoutGrafanaVariables(expr);
  const text = (node: SyntaxNode) => source.slice(node.from, node.to);
  const tree = parser.parse(source);
  const selectors: VectorSelector[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        throw new PromQLSyntaxError(
          `cannot parse "${expr}" at offset ${ref.from}: "${source.slice(ref.from, ref.from + 20)}"`,
        );
      }
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const matchers = (node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [])
        .concat(node.getChild('LabelMatchers')?.getChildren('QuotedLabelMatcher') ?? [])
        .sort((a, b) => a.from - b.from)
        .map((matcher) => matcherOf(matcher, text));
      const identifier = node.getChild('Identifier');
      const named = matchers.find((matcher) => matcher.label === '__name__' && matcher.op === '=');
      selectors.push({
        name: identifier ? text(identifier) : named?.value,
        matchers: matchers.filter((matcher) => matcher !== named),
      });
    },
  });
  return selectors;
}

/** The metric names `expr` reads, sorted and without repeats. */
export function metricNamesIn(expr: string): string[] {
  const names = selectorsIn(expr)
    .map((selector) => selector.name)
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)].sort();
}

/**
 * The metric a Grafana `label_values(<selector>, <label>)` template query reads, and the label it
 * lists; undefined for other template queries.
 */
export function parseLabelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const match = /^\s*label_values\(\s*(.*?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  return match ? { selector: match[1] as string, label: match[2] as string } : undefined;
}
