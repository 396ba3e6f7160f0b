// Generates the Grafana dashboards (deploy/grafana/dashboards/*.json) from the compact panel lists
// below: `make dashboards`. test/ops/dashboards.test.ts fails when the JSON files are stale, and
// checks that every metric a panel names is in the catalogue (docs/metrics.md); the Prometheus scrape
// test checks that each has series on a daemon that carried traffic.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface PanelSpec {
  title: string;
  /** PromQL, legend */
  targets: [string, string][];
  unit?: string;
  kind?: 'timeseries' | 'stat';
  /** Grid width in 24ths. */
  w?: number;
  description?: string;
}

interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  rows: { title: string; panels: PanelSpec[] }[];
}

const J = 'job="routing-core"';
const rate = (m: string, by: string, sel = J, w = '5m') => `sum by (${by}) (rate(${m}{${sel}}[${w}]))`;
const p99 = (m: string, by: string, sel = J) =>
  `histogram_quantile(0.99, sum by (le${by ? `, ${by}` : ''}) (rate(${m}_bucket{${sel}}[5m])))`;

const saturation: PanelSpec[] = [
  {
    title: 'CPU per instance',
    targets: [[`rate(process_cpu_seconds_total{${J}}[5m])`, '{{instance}}']],
    unit: 'percentunit',
  },
  {
    title: 'Event-loop delay p99',
    targets: [[`nodejs_eventloop_lag_p99_seconds{${J}}`, '{{instance}}']],
    unit: 's',
    description: 'Alert RoutingCoreEventLoopLag above 100 ms for 5 minutes',
  },
  {
    title: 'Resident memory',
    targets: [[`process_resident_memory_bytes{${J}}`, '{{instance}}']],
    unit: 'bytes',
  },
];

const DASHBOARDS: DashboardSpec[] = [
  {
    uid: 'rc-overview',
    title: 'Routing core: overview',
    description: 'Traffic, errors and saturation of every daemon instance',
    rows: [
      {
        title: 'Instances',
        panels: [
          { title: 'Instances up', targets: [[`sum(up{${J}})`, 'up']], kind: 'stat', w: 6 },
          {
            title: 'Versions running',
            targets: [[`count by (version, region) (build_info{${J}})`, '{{version}} {{region}}']],
            kind: 'stat',
            w: 6,
          },
          {
            title: 'Restarts (1h)',
            targets: [[`sum(changes(process_start_time_seconds{${J}}[1h]))`, 'restarts']],
            kind: 'stat',
            w: 6,
          },
          {
            title: 'Regional databases down',
            targets: [[`sum(max by (region) (records_region_down{${J}}))`, 'down']],
            kind: 'stat',
            w: 6,
          },
        ],
      },
      {
        title: 'Calls',
        panels: [
          {
            title: 'Calls ended per second by disposition',
            targets: [[rate('voice_calls_total', 'direction, disposition'), '{{direction}} {{disposition}}']],
            unit: 'reqps',
          },
          {
            title: 'Calls in progress',
            targets: [[`sum by (direction) (voice_active_calls{${J}})`, '{{direction}}']],
          },
          {
            title: 'Calls refused before routing, per second',
            targets: [[rate('voice_rejections_total', 'reason'), '{{reason}}']],
            unit: 'reqps',
          },
        ],
      },
      {
        title: 'Messages',
        panels: [
          {
            title: 'Messages per second by status',
            targets: [[rate('messaging_messages_total', 'direction, status'), '{{direction}} {{status}}']],
            unit: 'reqps',
          },
          {
            title: 'SMPP binds up',
            targets: [
              [`sum(messaging_binds_up{${J}})`, 'up'],
              [`count(messaging_binds_up{${J}})`, 'configured'],
            ],
          },
          {
            title: 'Oldest undelivered webhook or mail',
            targets: [[`max by (channel) (messaging_oldest_undelivered_seconds{${J}})`, '{{channel}}']],
            unit: 's',
          },
        ],
      },
      {
        title: 'Recording',
        panels: [
          {
            title: 'Media servers up',
            targets: [[`max by (server) (media_server_up{${J}})`, '{{server}}']],
            description: 'Alert RoutingCoreMediaServerDown',
          },
          {
            title: 'Media server sessions',
            targets: [[`max by (server) (media_server_sessions{${J}})`, '{{server}}']],
          },
          {
            title: 'Recordings per hour by outcome',
            targets: [
              [`sum by (outcome) (increase(recordings_total{${J}}[1h]))`, '{{outcome}}'],
              [`sum by (reason) (increase(calls_unrecorded_total{${J}}[1h]))`, 'unrecorded: {{reason}}'],
            ],
            description: 'Alerts RoutingCoreRecordingsNotStored, RoutingCoreCallsUnrecorded',
          },
        ],
      },
      {
        title: 'SIP edge',
        panels: [
          {
            title: 'SIP messages received per second',
            targets: [
              [rate('edge_sip_messages_received_total', 'kind, transport'), '{{kind}} {{transport}}'],
            ],
            unit: 'reqps',
            w: 8,
          },
          {
            title: 'SIP messages rejected per second',
            targets: [[rate('edge_sip_rejected_total', 'reason'), '{{reason}}']],
            unit: 'reqps',
            w: 8,
          },
          {
            title: 'Dialogs and transactions',
            targets: [
              [`sum(edge_dialogs{${J}})`, 'dialogs'],
              [`sum(edge_transactions{${J}})`, 'transactions'],
              [`sum(edge_apps{${J}})`, 'apps connected'],
            ],
            w: 8,
          },
        ],
      },
      {
        title: 'Side-API',
        panels: [
          {
            title: 'Requests per second by status',
            targets: [[rate('api_requests_total', 'status'), '{{status}}']],
            unit: 'reqps',
          },
          {
            title: 'Request duration p99',
            targets: [[p99('api_request_duration_seconds', 'route'), '{{route}}']],
            unit: 's',
          },
          {
            title: 'Rejected credentials per second',
            targets: [[rate('api_auth_failures_total', 'reason'), '{{reason}}']],
            unit: 'reqps',
          },
        ],
      },
      {
        title: 'Records',
        panels: [
          {
            title: 'Records written per second',
            targets: [[rate('records_written_total', 'kind, path'), '{{kind}} {{path}}']],
            unit: 'rowsps',
          },
          {
            title: 'Records spooled or dead-lettered per second',
            targets: [
              [rate('records_spooled_total', 'region'), 'spooled {{region}}'],
              [rate('records_dead_lettered_total', 'region'), 'dead-lettered {{region}}'],
            ],
            unit: 'rowsps',
          },
        ],
      },
      { title: 'Saturation', panels: saturation.map((p) => ({ ...p, w: 8 })) },
    ],
  },
  {
    uid: 'rc-carriers',
    title: 'Routing core: carriers',
    description:
      'Answer-seizure ratio, average call duration, post-dial delay and failovers per carrier; SBCs',
    rows: [
      {
        title: 'Quality per carrier',
        panels: [
          {
            title: 'ASR (answered / attempts, 15 min)',
            targets: [
              [
                `sum by (carrier) (rate(voice_carrier_answered_total{${J}}[15m])) / sum by (carrier) (rate(voice_carrier_attempts_total{${J}}[15m]))`,
                '{{carrier}}',
              ],
            ],
            unit: 'percentunit',
            description: 'Alert RoutingCoreCarrierAsrCollapse below half the daily level',
          },
          {
            title: 'ACD (average call duration, 1 h)',
            targets: [
              [
                `sum by (carrier) (rate(voice_carrier_call_duration_seconds_total{${J}}[1h])) / sum by (carrier) (rate(voice_carrier_answered_total{${J}}[1h]))`,
                '{{carrier}}',
              ],
            ],
            unit: 's',
          },
          {
            title: 'Attempts (seizures) per second',
            targets: [[rate('voice_carrier_attempts_total', 'carrier'), '{{carrier}}']],
            unit: 'reqps',
          },
          {
            title: 'Failovers per second by carrier left and why',
            targets: [[rate('voice_failovers_total', 'carrier, outcome'), '{{carrier}} {{outcome}}']],
            unit: 'reqps',
            description: 'Alert RoutingCoreFailoverStorm above 30% of attempts',
          },
          {
            title: 'Calls ended per second by carrier and disposition',
            targets: [[rate('voice_calls_total', 'carrier, disposition'), '{{carrier}} {{disposition}}']],
            unit: 'reqps',
          },
          {
            title: 'Post-dial delay p50 / p95 by direction',
            targets: [
              [
                `histogram_quantile(0.5, sum by (le, direction) (rate(voice_post_dial_delay_seconds_bucket{${J}}[5m])))`,
                'p50 {{direction}}',
              ],
              [
                `histogram_quantile(0.95, sum by (le, direction) (rate(voice_post_dial_delay_seconds_bucket{${J}}[5m])))`,
                'p95 {{direction}}',
              ],
            ],
            unit: 's',
          },
        ],
      },
      {
        title: 'SBCs and routing',
        panels: [
          {
            title: 'SBC connected (instances)',
            targets: [[`sum by (sbc) (voice_sbc_connected{${J}})`, '{{sbc}}']],
            description: 'Alert RoutingCoreSbcDisconnected when no instance is connected',
          },
          {
            title: 'SBCs drained',
            targets: [[`sum by (sbc) (voice_sbc_draining{${J}})`, '{{sbc}}']],
          },
          {
            title: 'SBC connection changes per hour',
            targets: [[`sum by (sbc) (increase(voice_sbc_connection_changes_total{${J}}[1h]))`, '{{sbc}}']],
          },
          {
            title: 'Calls unrecorded per hour',
            targets: [[`sum by (reason) (increase(calls_unrecorded_total{${J}}[1h]))`, '{{reason}}']],
            description: 'Alert RoutingCoreCallsUnrecorded',
          },
          {
            title: 'Calls refused per second by reason',
            targets: [[rate('voice_rejections_total', 'reason'), '{{reason}}']],
            unit: 'reqps',
          },
        ],
      },
    ],
  },
  {
    uid: 'rc-messaging',
    title: 'Routing core: messaging',
    description: 'SMS/MMS traffic, SMPP binds, receipts, webhook and mail deliveries',
    rows: [
      {
        title: 'Traffic',
        panels: [
          {
            title: 'Messages per second by direction and status',
            targets: [[rate('messaging_messages_total', 'direction, status'), '{{direction}} {{status}}']],
            unit: 'reqps',
          },
          {
            title: 'Messages per second by aggregator',
            targets: [
              [rate('messaging_messages_total', 'aggregator', `${J},direction="outbound"`), '{{aggregator}}'],
            ],
            unit: 'reqps',
          },
          {
            title: 'Refused per second by reason',
            targets: [[rate('messaging_rejected_total', 'direction, reason'), '{{direction}} {{reason}}']],
            unit: 'reqps',
          },
        ],
      },
      {
        title: 'SMPP',
        panels: [
          {
            title: 'Binds up',
            targets: [[`sum by (aggregator, bind) (messaging_binds_up{${J}})`, '{{aggregator}} {{bind}}']],
            description: 'Alert RoutingCoreSmppBindDown',
          },
          {
            title: 'Submit latency p99 by aggregator',
            targets: [[p99('messaging_submit_seconds', 'aggregator'), '{{aggregator}}']],
            unit: 's',
          },
          {
            title: 'Receipt latency p50 / p95',
            targets: [
              [
                `histogram_quantile(0.5, sum by (le, aggregator) (rate(messaging_receipt_seconds_bucket{${J}}[15m])))`,
                'p50 {{aggregator}}',
              ],
              [
                `histogram_quantile(0.95, sum by (le, aggregator) (rate(messaging_receipt_seconds_bucket{${J}}[15m])))`,
                'p95 {{aggregator}}',
              ],
            ],
            unit: 's',
          },
          {
            title: 'Receipts per second by outcome',
            targets: [
              [rate('messaging_receipts_total', 'aggregator, outcome'), '{{aggregator}} {{outcome}}'],
            ],
            unit: 'reqps',
            description: 'Alert RoutingCoreReceiptsNotArriving',
          },
        ],
      },
      {
        title: 'Deliveries (webhook, mail)',
        panels: [
          {
            title: 'Delivery attempts per second by outcome',
            targets: [
              [rate('messaging_delivery_attempts_total', 'channel, outcome'), '{{channel}} {{outcome}}'],
            ],
            unit: 'reqps',
          },
          {
            title: 'Delivery latency p95',
            targets: [
              [
                `histogram_quantile(0.95, sum by (le, channel) (rate(messaging_delivery_seconds_bucket{${J}}[5m])))`,
                '{{channel}}',
              ],
            ],
            unit: 's',
          },
          {
            title: 'Oldest undelivered',
            targets: [[`max by (channel) (messaging_oldest_undelivered_seconds{${J}})`, '{{channel}}']],
            unit: 's',
            description: 'Alert RoutingCoreWebhookBacklog above 15 minutes',
          },
        ],
      },
    ],
  },
  {
    uid: 'rc-platform',
    title: 'Routing core: platform',
    description: 'Node.js runtime, PostgreSQL and Redis latency, records pipeline, retention',
    rows: [
      {
        title: 'Runtime',
        panels: [
          ...saturation,
          {
            title: 'Event-loop delay (mean, max)',
            targets: [
              [`nodejs_eventloop_lag_mean_seconds{${J}}`, 'mean {{instance}}'],
              [`nodejs_eventloop_lag_max_seconds{${J}}`, 'max {{instance}}'],
            ],
            unit: 's',
          },
          {
            title: 'GC time per second',
            targets: [[rate('nodejs_gc_duration_seconds_sum', 'instance, kind'), '{{instance}} {{kind}}']],
            unit: 'percentunit',
          },
          {
            title: 'Heap and external memory',
            targets: [
              [`nodejs_heap_size_used_bytes{${J}}`, 'heap used {{instance}}'],
              [`nodejs_external_memory_bytes{${J}}`, 'external {{instance}}'],
            ],
            unit: 'bytes',
          },
          {
            title: 'Open file descriptors',
            targets: [
              [`process_open_fds{${J}}`, '{{instance}}'],
              [`max(process_max_fds{${J}})`, 'limit'],
            ],
          },
        ],
      },
      {
        title: 'PostgreSQL',
        panels: [
          {
            title: 'Query duration p99 by database',
            targets: [[p99('db_query_duration_seconds', 'db', `${J},op="query"`), '{{db}}']],
            unit: 's',
            description: 'Alert RoutingCoreDatabaseSlow above 250 ms for 10 minutes',
          },
          {
            title: 'Transaction duration p99 by database',
            targets: [[p99('db_query_duration_seconds', 'db', `${J},op="tx"`), '{{db}}']],
            unit: 's',
          },
          {
            title: 'Database calls failing per second',
            targets: [[rate('db_query_errors_total', 'db'), '{{db}}']],
            unit: 'reqps',
          },
        ],
      },
      {
        title: 'Redis (shared state)',
        panels: [
          {
            title: 'Operation duration p99',
            targets: [[p99('shared_state_duration_seconds', 'op'), '{{op}}']],
            unit: 's',
            description: 'Alert RoutingCoreRedisSlow above 50 ms for 10 minutes',
          },
          {
            title: 'Operations per second',
            targets: [[rate('shared_state_duration_seconds_count', 'backend'), '{{backend}}']],
            unit: 'ops',
          },
          {
            title: 'Operations failing per second',
            targets: [[rate('shared_state_errors_total', 'instance'), '{{instance}}']],
            unit: 'ops',
          },
        ],
      },
      {
        title: 'Records pipeline',
        panels: [
          {
            title: 'Queue depth (rows in memory)',
            targets: [[`sum by (region) (records_queue_rows{${J}})`, '{{region}}']],
          },
          {
            title: 'Spool size (batches on disk)',
            targets: [[`sum by (region) (records_spool_batches{${J}})`, '{{region}}']],
            description: 'Alert RoutingCoreRecordsSpoolGrowing',
          },
          {
            title: 'Replayed rows per second',
            targets: [[rate('records_written_total', 'region', `${J},path="replay"`), '{{region}}']],
            unit: 'rowsps',
          },
          {
            title: 'Time to durable p99',
            targets: [[p99('records_durable_seconds', 'kind'), '{{kind}}']],
            unit: 's',
          },
          {
            title: 'Batch write p99',
            targets: [[p99('records_flush_seconds', 'region'), '{{region}}']],
            unit: 's',
          },
          {
            title: 'Caches',
            targets: [
              [`max(cache_numbers{${J}})`, 'numbers'],
              [`max by (kind) (cache_plan_routes{${J}})`, 'routes {{kind}}'],
              [`sum(rate(cache_plan_reloads_total{${J}}[5m]))`, 'plan reloads/s'],
              [rate('cache_number_reloads_total', 'reason'), 'number reloads/s {{reason}}'],
            ],
          },
        ],
      },
      {
        title: 'Retention',
        panels: [
          {
            title: 'Oldest overdue item',
            targets: [[`max by (kind) (retention_oldest_overdue_seconds{${J}})`, '{{kind}}']],
            unit: 's',
            description: 'Alert RoutingCoreRetentionOverdue above one day for an hour',
          },
          {
            title: 'Items deleted per second',
            targets: [[rate('retention_deleted_total', 'kind', J, '1h'), '{{kind}}']],
            unit: 'ops',
          },
          {
            title: 'Sweeps',
            targets: [
              [`sum by (result) (increase(retention_sweeps_total{${J}}[1h]))`, '{{result}}'],
              [`sum by (action) (increase(retention_partitions_total{${J}}[1d]))`, 'partitions {{action}}'],
            ],
          },
          {
            title: 'Sweep duration p99',
            targets: [[p99('retention_sweep_duration_seconds', ''), 'p99']],
            unit: 's',
          },
        ],
      },
    ],
  },
];

function panel(spec: PanelSpec, id: number, x: number, y: number, w: number) {
  const ds = { type: 'prometheus', uid: 'prometheus' };
  return {
    id,
    type: spec.kind ?? 'timeseries',
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    datasource: ds,
    gridPos: { h: spec.kind === 'stat' ? 4 : 8, w, x, y },
    fieldConfig: { defaults: { unit: spec.unit ?? 'short' }, overrides: [] },
    options:
      spec.kind === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'] } }
        : { legend: { displayMode: 'list' } },
    targets: spec.targets.map(([expr, legendFormat], i) => ({
      datasource: ds,
      expr,
      legendFormat,
      refId: String.fromCharCode(65 + i),
    })),
  };
}

export function renderDashboard(d: DashboardSpec) {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of d.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const w = spec.w ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      const p = panel(spec, id++, x, y, w);
      panels.push(p);
      x += w;
      rowHeight = Math.max(rowHeight, p.gridPos.h);
    }
    y += rowHeight;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['routing-core'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'utc',
    templating: { list: [] },
    annotations: { list: [] },
    panels,
  };
}

export function renderAll(): Record<string, string> {
  return Object.fromEntries(
    DASHBOARDS.map((d) => [
      `${d.uid.replace(/^rc-/, '')}.json`,
      `${JSON.stringify(renderDashboard(d), null, 2)}\n`,
    ]),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('../deploy/grafana/dashboards/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(renderAll())) writeFileSync(dir + file, text);
  console.log(`wrote ${Object.keys(renderAll()).join(', ')} to ${dir}`);
}
