// Wraps deploy/prometheus/alerts.yaml into the PrometheusRule that prometheus-operator loads on
// Kubernetes (deploy/k8s/base/prometheusrule.yaml): `make dashboards` regenerates it with the
// dashboards, and test/ops/kubernetes.test.ts fails when it differs from alerts.yaml.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export function renderPrometheusRule(): string {
  const alerts = parse(
    readFileSync(new URL('../deploy/prometheus/alerts.yaml', import.meta.url), 'utf8'),
  ) as { groups: unknown[] };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'routing-core' },
    spec: { groups: alerts.groups },
  };
  return `# Generated from deploy/prometheus/alerts.yaml by scripts/prometheus-rule.ts (make dashboards).\n${stringify(rule, { lineWidth: 0 })}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL('../deploy/k8s/base/prometheusrule.yaml', import.meta.url));
  writeFileSync(out, renderPrometheusRule());
  console.log(`wrote ${out}`);
}
