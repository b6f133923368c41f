// Import rules for dependency-cruiser (npm run check:layers).
//
// LAYERS is the layer order of src/, top first: a layer may import itself and
// any layer below it, never one above it. It is the same list, in the same
// order, as the layer section of docs/architecture.md. The upward-import rules
// are generated from it, one per layer.

/** @type {Array<[name: string, path: string]>} */
const LAYERS = [
  ['main.ts', '^src/main\\.ts$'],
  ['app.ts', '^src/app\\.ts$'],
  ['wiring/', '^src/wiring/'],
  ['server/', '^src/server/'],
  ['session/', '^src/session/'],
  ['ops/', '^src/ops/'], // includes ops/shared/ and ops/get/
  ['domain/', '^src/domain/'],
  ['media/', '^src/media/'],
  ['runtime/', '^src/runtime/'],
  ['store/', '^src/store/'],
  ['cluster/', '^src/cluster/'],
  ['mail/', '^src/mail/'],
  ['protocol/', '^src/protocol/'],
  ['content/', '^src/content/'],
  ['config.ts', '^src/config\\.ts$'],
  ['crypto/', '^src/crypto/'],
  ['logger.ts', '^src/logger\\.ts$'],
];

// Packages that talk to the outside world (sockets, databases, HTTP). Ops and
// domain rules reach them only through the ports handed to them.
const IO_PACKAGES = ['ws', 'pg', 'ioredis', 'better-sqlite3', 'fastify', 'kysely'];

// Folders checked for folder cycles. bench/ is left out: bench/lib,
// bench/scenarios and bench/workers import each other today.
const FOLDER_CYCLE_SCOPE = ['^src/', '^client/', '^test/', '^scripts/', '^faults/'];

const layerRules = LAYERS.slice(1).map(([name, path], i) => {
  const above = LAYERS.slice(0, i + 1);
  const below = LAYERS.slice(i + 2).map(([n]) => n);
  return {
    name: `layer-${name.replace(/[/.]/g, '-').replace(/-+$/, '')}`,
    comment:
      `src/${name} must not import a layer above it (${above.map(([n]) => n).join(', ')}). ` +
      (below.length > 0 ? `It may import: ${below.join(', ')}.` : 'It is the bottom layer.'),
    severity: 'error',
    from: { path },
    to: { path: above.map(([, p]) => p) },
  };
});

const ioPackagePath = `(^|/)node_modules/(@types/)?(${IO_PACKAGES.map((p) => p.replace(/[.-]/g, '\\$&')).join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'Modules must not depend on each other in a cycle (type-only imports count).',
      severity: 'error',
      from: {},
      // one string: v18 does not join a pathNot array inside via
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      comment: 'Two folders must not import each other, directly or through other folders.',
      severity: 'error',
      scope: 'folder',
      from: { path: FOLDER_CYCLE_SCOPE },
      to: { circular: true },
    },
    {
      name: 'ops-domain-no-io-packages',
      comment: `src/ops/ and src/domain/ must not import ${IO_PACKAGES.join(', ')} (type-only imports included); use the ports.`,
      severity: 'error',
      from: { path: ['^src/ops/', '^src/domain/'] },
      to: { path: ioPackagePath },
    },
    {
      name: 'src-no-test-bench-client',
      comment: 'src/ must not import test/, bench/, client/ or faults/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|client|faults)/' },
    },
    {
      name: 'nothing-imports-faults',
      comment: 'faults/ (the fault suite, npm run faults) sits on top: only faults/ imports it.',
      severity: 'error',
      from: { pathNot: '^faults/' },
      to: { path: '^faults/' },
    },
    {
      name: 'client-only-protocol',
      comment: 'client/ (the client SDK) may import from src/ only src/protocol/.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import must resolve to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^data/', '^bench/results/', '^bench/build/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};

// For tools that compare the layer order with docs/architecture.md.
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
