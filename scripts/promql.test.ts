/**
 * The PromQL reading behind scripts/monitoring.test.ts's "every metric an alert or a dashboard reads
 * is exported" check: it must find every metric and nothing that is not one.
 */
import { describe, expect, it } from 'vitest';
import { metricNamesIn, PromQLSyntaxError, parseLabelValuesQuery, selectorsIn } from './lib/promql';

describe('metricNamesIn', () => {
  it.each([
    ['up == 0', ['up']],
    ['redis_degraded_mode{job="api"} == 1', ['redis_degraded_mode']],
    // Aggregations with the grouping before or after, and label lists that must not read as metrics.
    [
      'histogram_quantile(0.99, sum by (function, le) (rate(http_request_duration_seconds_bucket[5m]))) > 2.5',
      ['http_request_duration_seconds_bucket'],
    ],
    ['sum(rate(http_requests_total[5m])) by (function, status)', ['http_requests_total']],
    ['max without (instance) (websocket_connections)', ['websocket_connections']],
    // Vector matching and binary keywords.
    [
      'sum by (function) (rate(http_requests_total{status=~"5.."}[5m])) / on (function) group_left sum by (function) (rate(http_requests_total[5m]))',
      ['http_requests_total'],
    ],
    [
      'websocket_connections / on (job, instance) group_left (version) process_max_fds > bool 0.8',
      ['process_max_fds', 'websocket_connections'],
    ],
    ['a_total and b_total or c_total unless d_total', ['a_total', 'b_total', 'c_total', 'd_total']],
    ['x_metric atan2 y_metric', ['x_metric', 'y_metric']],
    // Modifiers, durations, subqueries, numbers.
    ['rate(db_query_duration_seconds_count[5m] offset 1h)', ['db_query_duration_seconds_count']],
    ['process_start_time_seconds @ 1609746000', ['process_start_time_seconds']],
    ['process_start_time_seconds @ end()', ['process_start_time_seconds']],
    ['max_over_time(rate(x_total[1m])[30m:1m])', ['x_total']],
    ['probe_ssl_earliest_cert_expiry - time() < 86400 * 21', ['probe_ssl_earliest_cert_expiry']],
    [
      'node_filesystem_avail_bytes < 1e9 and node_filesystem_size_bytes > 0x10',
      ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'],
    ],
    ['increase(x_total[1h30m]) > Inf or y_metric == NaN', ['x_total', 'y_metric']],
    // Strings (with braces, quotes and commas inside), regex matchers, __name__, recording rules.
    ['foo_metric{route="/v1/{id}", detail=~"a\\"b,c"}', ['foo_metric']],
    ['{__name__="up", job="api"}', ['up']],
    ['{__name__=~"up|down"}', []],
    ['job:http_requests:rate5m > 0', ['job:http_requests:rate5m']],
    [
      'label_replace(up, "svc", "$1", "job", "(.*)") * on (svc) group_right count_values("v", build_info)',
      ['build_info', 'up'],
    ],
    ['absent(up{job="api"}) or vector(0)', ['up']],
    ['topk(5, sum by (function) (rate(http_requests_total[5m])))', ['http_requests_total']],
    // Comments.
    ['up # the target answered\n  == 0', ['up']],
    // Grafana variables in ranges, matchers and label lists.
    [
      'sum by (function) (rate(http_requests_total{function=~"$function"}[$__rate_interval]))',
      ['http_requests_total'],
    ],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var}, not a template literal
    ['rate(http_requests_total{function="${function}"}[${__interval}])', ['http_requests_total']],
    ['sum by ($group) (rate(x_total[[[interval]]]))', ['x_total']],
  ])('%s', (expr, expected) => {
    expect(metricNamesIn(expr)).toEqual(expected);
  });

  it('reads the label matchers of each selector', () => {
    expect(selectorsIn('rate(websocket_closes_total{reason="slow-consumer", job!~"x|y"}[5m]) / up')).toEqual([
      {
        name: 'websocket_closes_total',
        matchers: [
          { label: 'reason', op: '=', value: 'slow-consumer' },
          { label: 'job', op: '!~', value: 'x|y' },
        ],
      },
      { name: 'up', matchers: [] },
    ]);
  });

  it('refuses what it cannot read rather than guessing', () => {
    expect(() => selectorsIn('up{job="api"')).toThrow(PromQLSyntaxError);
    expect(() => selectorsIn('up{job=api}')).toThrow(PromQLSyntaxError);
    expect(() => selectorsIn('rate(up[5m]')).toThrow(PromQLSyntaxError);
    // atan2 is a binary operator only, not a function.
    expect(() => selectorsIn('atan2(x_metric, y_metric)')).toThrow(PromQLSyntaxError);
    expect(() => selectorsIn('sum by (le (x)')).toThrow(PromQLSyntaxError);
    expect(() => selectorsIn('up{job="a"} ; 1')).toThrow(PromQLSyntaxError);
  });
});

describe('parseLabelValuesQuery', () => {
  it('splits a Grafana label_values query into its selector and label', () => {
    expect(parseLabelValuesQuery('label_values(http_requests_total{job="api"}, function)')).toEqual({
      selector: 'http_requests_total{job="api"}',
      label: 'function',
    });
    expect(parseLabelValuesQuery('label_values(instance)')).toBeUndefined();
    expect(parseLabelValuesQuery('query_result(up)')).toBeUndefined();
  });
});
