/** Layer rules: pure decisions stay free of I/O, the edge stays independent, the API never touches SIP. */
module.exports = {
  forbidden: [
    {
      name: 'edge-is-standalone',
      comment: 'The embedded SIP edge is a component of its own: it imports nothing else from src/.',
      severity: 'error',
      from: { path: '^src/edge/' },
      to: { path: '^src/', pathNot: '^src/edge/' },
    },
    {
      name: 'routing-is-pure',
      comment: 'Routing decisions are pure functions: no database, shared state, network or SIP.',
      severity: 'error',
      from: { path: '^src/routing/' },
      to: {
        path: '^src/(store|state|records|api|sip|sms|delivery|media|edge|cache)/|^(pg|ioredis|drachtio-srf|drachtio-fsmrf|smpp|fastify)$|node:(net|dgram|fs|http)',
      },
    },
    {
      name: 'api-knows-no-sip',
      comment: 'The side-API talks to services, never to SIP or SMPP directly.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^(drachtio-srf|drachtio-fsmrf|smpp)$|^src/(edge|sip)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'only-config-reads-env',
      comment: 'Configuration is parsed once, in src/config (enforced for process.env by eslint as well).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(config|edge/main\\.ts|main\\.ts)' },
      to: { path: '^src/config/load\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
