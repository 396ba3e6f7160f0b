// docker/compose.yaml, validated without a Docker engine: `docker-compose config` (Debian package
// docker-compose) accepts it, every bind-mounted path exists in the repository, the daemon's
// configuration file loads through the real config loader with the environment compose gives it,
// and the wiring agrees (the daemon reaches drachtio's app port and Redis/PostgreSQL by service name,
// Prometheus scrapes the daemon's port, Grafana reads that Prometheus).
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Service {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  volumes?: (string | { type: string; source: string; target: string })[];
  ports?: unknown[];
}

function composeConfig(): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    // A clean environment: the defaults of the file, not this machine's variables.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
    execFile(
      'docker-compose',
      ['-f', 'docker/compose.yaml', 'config'],
      { cwd: root, env, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
          resolve({ code: -1, out: '', err: 'docker-compose not found: run make system-deps' });
        else resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout, err: stderr });
      },
    );
  });
}

t.test('docker-compose config accepts the stack, wired as production', async (t) => {
  const { code, out, err } = await composeConfig();
  t.equal(code, 0, err);
  const services = (parse(out) as { services: Record<string, Service> }).services;
  for (const name of [
    'daemon',
    'drachtio',
    'freeswitch',
    'recordings',
    'postgres',
    'redis',
    'prometheus',
    'grafana',
  ])
    t.ok(services[name], `service ${name}`);
  t.match(services.drachtio?.image ?? '', /^drachtio\/drachtio-server/, 'drachtio-server image');

  // Every bind mount's source exists in the repository.
  const mounts: { service: string; source: string; target: string }[] = [];
  for (const [name, s] of Object.entries(services))
    for (const v of s.volumes ?? []) {
      const [source, target] =
        typeof v === 'string' ? (v.split(':') as [string, string]) : [v.source, v.target];
      if (source.startsWith('/')) mounts.push({ service: name, source, target });
    }
  t.ok(mounts.length >= 10, `${mounts.length} bind mounts`);
  for (const m of mounts) {
    t.ok(m.source.startsWith(root.replace(/\/$/, '')), `${m.service}: ${m.source} is inside the repository`);
    t.ok(existsSync(m.source), `${m.service}: ${path.relative(root, m.source)} exists`);
  }

  // The daemon's configuration loads with the environment compose gives it.
  const daemon = services.daemon!;
  const env = daemon.environment ?? {};
  const configMount = mounts.find((m) => m.service === 'daemon' && m.target === env.ROUTING_CONFIG);
  t.ok(configMount, 'ROUTING_CONFIG names a mounted file');
  const config = loadConfig({ files: [configMount!.source], env, configDir: path.join(root, 'config') });
  t.equal(config.edge.enabled, false, 'production SBC, not the embedded edge');
  const sbc = config.sbcs[0]!;
  t.equal(sbc.host, 'drachtio', 'the daemon connects to the drachtio service');
  const drachtioCommand = [services.drachtio!.command ?? ''].flat().join(' ');
  t.match(drachtioCommand, new RegExp(`--port ${sbc.port}\\b`), "to drachtio's app port");
  t.match(drachtioCommand, new RegExp(`--secret ${sbc.secret.reveal()}\\b`), 'with the shared secret');
  t.match(config.redis.url?.reveal() ?? '', /^redis:\/\/redis:6379/, 'Redis by service name');
  t.match(config.databases.control?.url.reveal() ?? '', /@postgres:5432\/control$/, 'control database');
  t.match(config.databases.regions.NOAM?.url.reveal() ?? '', /@postgres:5432\/noam$/, 'NOAM database');
  // FreeSWITCH: the daemon reaches its event socket by service name on the port its config listens on,
  // and FreeSWITCH admits the daemon's address (DAEMON_CIDR) and connects back to it.
  const media = config.media.servers[0]!;
  t.equal(media.eslHost, 'freeswitch', 'event socket of the freeswitch service');
  const esl = readFileSync(
    path.join(root, 'docker/freeswitch/conf/autoload_configs/event_socket.conf.xml'),
    'utf8',
  );
  t.match(
    esl,
    new RegExp(`name="listen-port" value="${media.eslPort}"`),
    'on the port FreeSWITCH listens on',
  );
  t.equal(media.eslSecret.reveal(), services.freeswitch!.environment?.ESL_PASSWORD, 'with its password');
  const fsEnv = services.freeswitch!.environment ?? {};
  const daemonIp = (services.daemon as { networks?: Record<string, { ipv4_address?: string }> }).networks
    ?.core?.ipv4_address;
  t.equal(media.advertisedHost, daemonIp, "FreeSWITCH connects back to the daemon's address");
  const [net, bits] = (fsEnv.DAEMON_CIDR ?? '').split('/');
  const prefix = net!
    .split('.')
    .slice(0, Number(bits) / 8)
    .join('.');
  t.ok(
    daemonIp?.startsWith(`${prefix}.`),
    `the daemon (${daemonIp}) is inside DAEMON_CIDR ${fsEnv.DAEMON_CIDR}`,
  );
  t.match(media.filesUrl, /^http:\/\/recordings:8090\//, 'recordings file service by service name');
  t.equal(media.filesToken.reveal(), services.recordings!.environment?.RECORDINGS_TOKEN, 'with its token');
  t.equal(config.media.drachtio.host, 'drachtio', 'fsmrf INVITEs go through the drachtio service');
  for (const file of ['vars.xml', 'event_socket.conf.xml', 'acl.conf.xml', 'drachtio_mrf.xml', 'mrf.xml'])
    t.ok(
      mounts.some(
        (m) =>
          m.service === 'freeswitch' && m.source.includes('docker/freeswitch/') && m.source.endsWith(file),
      ),
      `FreeSWITCH gets ${file} from docker/freeswitch/`,
    );

  const init = readFileSync(path.join(root, 'docker/postgres/init.sql'), 'utf8');
  for (const db of ['control', 'noam']) t.match(init, new RegExp(`CREATE DATABASE ${db};`), `${db} created`);

  // Prometheus scrapes the daemon's API port; Grafana reads that Prometheus.
  const prom = parse(readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const job = prom.scrape_configs.find((j) => j.job_name === 'routing-core');
  t.same(job?.static_configs[0]?.targets, [`daemon:${config.api.port}`], 'Prometheus scrapes the daemon');
  const ds = parse(
    readFileSync(path.join(root, 'deploy/grafana/provisioning/datasources/prometheus.yaml'), 'utf8'),
  );
  t.equal(ds.datasources[0].url, 'http://prometheus:9090', 'Grafana reads the prometheus service');
  t.ok(
    mounts.some((m) => m.service === 'prometheus' && m.source.endsWith('deploy/prometheus')),
    'Prometheus gets the alert rules',
  );
  t.ok(
    mounts.some((m) => m.service === 'grafana' && m.target === '/var/lib/grafana/dashboards'),
    'Grafana gets the dashboards where the provider looks',
  );
});
