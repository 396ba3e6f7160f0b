// deploy/k8s: every regional overlay renders with `kubectl kustomize` (kubectl: the Debian package
// kubernetes-client through make system-deps, or any newer kubectl), every rendered object validates
// against the Kubernetes schemas (kubernetes-models; ServiceMonitor: @kubernetes-models/prometheus-operator),
// and the objects fit together: probes on the daemon's endpoints, a preStop drain, a grace period longer
// than the daemon's drain bound, selectors that match the pods, secrets referenced and never inlined,
// and a configuration that the daemon's own loader accepts for that region.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { renderPrometheusRule } from '../../scripts/prometheus-rule.js';
import { loadConfig, REGIONS } from '../../src/config/index.js';
import { tempDir } from '../support/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [k: string]: any;
};

function kustomize(dir: string): Promise<Obj[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'kubectl',
      ['kustomize', dir],
      { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `kubectl kustomize ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'kubectl not found (make system-deps installs kubernetes-client)' : stderr}`,
            ),
          );
        else
          resolve(
            parseAllDocuments(stdout)
              .map((d) => d.toJS() as Obj)
              .filter(Boolean),
          );
      },
    );
  });
}

async function validate(obj: Obj): Promise<void> {
  const pkg = obj.apiVersion.startsWith('monitoring.coreos.com/')
    ? '@kubernetes-models/prometheus-operator'
    : 'kubernetes-models';
  const models = (await import(`${pkg}/${obj.apiVersion}`)) as Record<
    string,
    new (o: unknown) => { validate(): void }
  >;
  const Model = models[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

const alertGroups = (
  parse(readFileSync(path.join(root, 'deploy/prometheus/alerts.yaml'), 'utf8')) as { groups: unknown[] }
).groups;

t.test('deploy/k8s/base/prometheusrule.yaml is generated from alerts.yaml (make dashboards)', async (t) => {
  t.equal(
    readFileSync(path.join(root, 'deploy/k8s/base/prometheusrule.yaml'), 'utf8'),
    renderPrometheusRule(),
  );
});

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

for (const region of REGIONS) {
  t.test(`overlay ${region}`, async (t) => {
    const objects = await kustomize(`deploy/k8s/overlays/${region.toLowerCase()}`);
    const kinds = objects.map((o) => o.kind).sort();
    for (const kind of [
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'PrometheusRule',
    ])
      t.ok(kinds.includes(kind), `renders a ${kind}`);
    for (const o of objects) {
      const error = await validate(o).then(
        () => undefined,
        (err: Error) => err.message,
      );
      t.notOk(error, `${o.kind} ${o.metadata.name} validates against its schema${error ? `: ${error}` : ''}`);
    }
    t.notOk(
      objects.some((o) => o.kind === 'Secret'),
      'no Secret inlined',
    );

    const one = (kind: string) => objects.find((o) => o.kind === kind)!;
    const deploy = one('Deployment');
    const pod = deploy.spec.template;
    const podLabels = pod.metadata.labels as Record<string, string>;
    t.equal(podLabels['didhub.io/region'], region.toLowerCase(), 'pods carry the region label');
    t.ok(matches(deploy.spec.selector.matchLabels, podLabels), 'Deployment selects its pods');
    t.ok(matches(one('PodDisruptionBudget').spec.selector.matchLabels, podLabels), 'PDB selects the pods');
    t.ok(
      matches(one('NetworkPolicy').spec.podSelector.matchLabels, podLabels),
      'NetworkPolicy selects the pods',
    );
    const hpa = one('HorizontalPodAutoscaler');
    t.same(
      [hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name],
      ['Deployment', deploy.metadata.name],
      'HPA scales the Deployment',
    );
    t.ok(hpa.spec.minReplicas >= 2, 'at least two instances (one can drain)');
    const service = one('Service');
    t.ok(matches(service.spec.selector, podLabels), 'Service selects the pods');
    t.equal(service.metadata.name, 'routing-core', 'Service name = Prometheus job of the alert rules');
    const monitor = one('ServiceMonitor');
    t.ok(
      matches(monitor.spec.selector.matchLabels, service.metadata.labels ?? {}),
      'ServiceMonitor selects the Service',
    );
    t.ok(
      service.spec.ports.some((p: { name: string }) => p.name === monitor.spec.endpoints[0].port),
      'scrapes a Service port',
    );
    t.equal(monitor.spec.endpoints[0].path, '/metrics');
    t.same(
      one('PrometheusRule').spec.groups,
      alertGroups,
      'the PrometheusRule carries deploy/prometheus/alerts.yaml',
    );

    const [container] = pod.spec.containers;
    const portNames = container.ports.map((p: { name: string }) => p.name);
    t.equal(container.readinessProbe.httpGet.path, '/readyz', 'readiness on /readyz');
    t.equal(container.livenessProbe.httpGet.path, '/healthz', 'liveness on /healthz');
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'])
      t.ok(portNames.includes(container[probe].httpGet.port), `${probe} on a container port`);
    const preStop = container.lifecycle?.preStop?.exec?.command?.join(' ') ?? '';
    t.match(preStop, /kill -TERM 1/, 'preStop drains (SIGTERM to the daemon) and waits for it');
    t.equal(pod.spec.securityContext.runAsNonRoot, true, 'non-root');
    t.equal(container.securityContext.allowPrivilegeEscalation, false);
    t.equal(container.securityContext.readOnlyRootFilesystem, true);

    // Secrets: every secret-looking variable comes from a secretKeyRef, never a literal.
    const env = container.env as {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: { name: string; key: string } };
    }[];
    for (const e of env.filter((e) => /URL|SECRET|KEY|PASSWORD/.test(e.name)))
      t.ok(e.valueFrom?.secretKeyRef && e.value === undefined, `${e.name} is referenced from a Secret`);

    // The configuration: the mounted ConfigMap is the generated one, and the daemon's loader accepts it.
    const configMap = one('ConfigMap');
    const volume = pod.spec.volumes.find((v: { configMap?: { name: string } }) => v.configMap);
    t.equal(volume.configMap.name, configMap.metadata.name, 'the Deployment mounts the generated ConfigMap');
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === volume.name)
      .mountPath as string;
    const files = (env.find((e) => e.name === 'ROUTING_CONFIG')?.value ?? '').split(',');
    const dir = tempDir(t, 'k8s-config');
    const local = files.map((f) => {
      t.equal(path.dirname(f), mount, `${f} is in the mounted ConfigMap`);
      const name = path.basename(f);
      t.ok(configMap.data[name], `ConfigMap has ${name}`);
      writeFileSync(path.join(dir, name), configMap.data[name] ?? '');
      return path.join(dir, name);
    });
    const refs = [
      ...Object.values(configMap.data as Record<string, string>)
        .join('\n')
        .matchAll(/env:([A-Z0-9_]+)/g),
    ].map((m) => m[1]!);
    const fakeEnv: Record<string, string> = {};
    for (const name of new Set(refs)) {
      t.ok(
        env.some((e) => e.name === name),
        `${name} (an env: secret of the configuration) is set on the container`,
      );
      fakeEnv[name] = name.endsWith('_URL')
        ? name.includes('REDIS')
          ? 'redis://redis:6379'
          : 'postgres://u@db:5432/x'
        : Buffer.alloc(32, 1).toString('base64');
    }
    const config = loadConfig({ files: local, env: fakeEnv, configDir: path.join(root, 'config') });
    t.equal(config.instance.region, region, 'instance region');
    t.ok(config.databases.regions[region], `the ${region} database is configured`);
    t.ok(config.sbcs.length > 0 && config.sbcs.every((s) => s.region === region), 'SBCs of the region');
    t.ok(
      pod.spec.terminationGracePeriodSeconds * 1000 >= config.shutdown.graceMs + 30_000,
      `terminationGracePeriodSeconds (${pod.spec.terminationGracePeriodSeconds}) outlasts shutdown.graceMs (${config.shutdown.graceMs}) with margin`,
    );
    t.ok(config.shutdown.graceMs >= 600_000, 'calls get at least 10 minutes to end after a drain');
  });
}

t.test('the image and the pods agree: uid, shell for the preStop hook', async (t) => {
  const dockerfile = readFileSync(path.join(root, 'docker/Dockerfile'), 'utf8');
  const base = [...dockerfile.matchAll(/^FROM (\S+)/gm)].at(-1)![1]!;
  t.match(base, /^node:20-slim/, 'runtime image has /bin/sh (the preStop hook uses it)');
  const user = [...dockerfile.matchAll(/^USER (\d+)/gm)].at(-1)?.[1];
  const deployment = readFileSync(path.join(root, 'deploy/k8s/base/deployment.yaml'), 'utf8');
  t.match(deployment, new RegExp(`runAsUser: ${user}\\b`), `pods run as the image's uid ${user}`);
});
