// The container image and the compose file, checked where Docker cannot run
// (no daemon, or no registry to pull the base images from, as on this
// project's machines):
//
// - the Dockerfile passes a linter: hadolint when it is installed, else
//   dockerfile-utils (the validator behind VS Code's Dockerfile support),
//   which is shown to catch a broken file;
// - its structure: multi-stage, a non-root user, the data directory as a
//   volume, a HEALTHCHECK on /readyz, and COPY sources that exist and are not
//   excluded by .dockerignore;
// - the HEALTHCHECK script itself, against a real server and a closed port;
// - compose.yaml parses (the yaml package; and `docker compose config`, or
//   Debian's `docker-compose config`, when one is installed) and wires the API, a separate
//   worker, PostgreSQL and Redis, with only variables Hookline declares.
//
// What ran and what did not is printed as test diagnostics.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { SETTING_NAMES } from '../src/base/config.js';
import { freePort, ROOT, spawnServer, type ServerProcess } from './helpers/process.js';

const dockerfileText = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(dockerfileText);
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) await s.kill();
});

/** Whether a command runs here at all (on PATH and answering). */
function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
}

/** The instructions of the stage named `name` (FROM … AS name) up to the next FROM. */
function stage(name: string): Instruction[] {
  const all = dockerfile.getInstructions();
  const start = all.findIndex((i) => i.getKeyword() === 'FROM' && /\bAS\s+(\S+)\s*$/i.exec(i.getArgumentsContent() ?? '')?.[1] === name);
  assert.ok(start >= 0, `no stage ${name}`);
  const next = all.findIndex((i, n) => n > start && i.getKeyword() === 'FROM');
  return all.slice(start, next < 0 ? undefined : next);
}

const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const envOf = (instructions: Instruction[]) => {
  const env: Record<string, string> = {};
  for (const i of instructions.filter((x) => x.getKeyword() === 'ENV'))
    for (const m of (i.getArgumentsContent() ?? '').matchAll(/([A-Z_]+)=(\S+)/g)) env[m[1]] = m[2];
  return env;
};

test('the Dockerfile passes a linter', (t: TestContext) => {
  if (runs('hadolint', ['--version'])) {
    const out = spawnSync('hadolint', [join(ROOT, 'Dockerfile')], { encoding: 'utf8' });
    assert.equal(out.status, 0, `hadolint:\n${out.stdout}${out.stderr}`);
    t.diagnostic('linted with hadolint');
  } else {
    t.diagnostic('hadolint is not installed here (no Debian package, no npm package, PyPI unreachable); linted with dockerfile-utils');
  }
  const problems = validate(dockerfileText);
  assert.deepEqual(
    problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
    [],
  );
  // The linter does catch mistakes (so an empty list means something).
  const broken = validate('FROM node:20 AS build\nRUN\nHEALTHCHECK CMD\nWORKDIR relative\nFROM\n');
  assert.ok(broken.length >= 3, `the linter found only ${broken.length} problems in a broken Dockerfile`);
});

test('multi-stage, non-root, the data directory as a volume, HEALTHCHECK on /readyz', async () => {
  const froms = dockerfile.getFROMs();
  assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
  const runtime = stage('runtime');
  assert.equal(
    dockerfile.getInstructions().at(-1) !== undefined && runtime.includes(dockerfile.getInstructions().at(-1)!),
    true,
    'runtime is last',
  );

  const users = runtime.filter((i) => i.getKeyword() === 'USER').map((i) => args(i)[0]);
  assert.equal(users.length, 1);
  assert.ok(!['root', '0', '0:0'].includes(users[0]), `runs as ${users[0]}`);

  const env = envOf(runtime);
  assert.equal(env.DATA_DIR, '/data');
  assert.equal(env.DATABASE_URL, `file:${env.DATA_DIR}/hookline.db`, 'the SQLite file lives in the data directory');
  const volumes = runtime
    .filter((i) => i.getKeyword() === 'VOLUME')
    .flatMap((i) => (i.getArgumentsContent() ?? '').match(/\/[\w/-]+/g) ?? []);
  assert.deepEqual(volumes, [env.DATA_DIR]);
  assert.deepEqual(
    runtime.filter((i) => i.getKeyword() === 'EXPOSE').map((i) => args(i)[0]),
    [env.PORT],
  );

  const healthchecks = dockerfile.getHEALTHCHECKs();
  assert.equal(healthchecks.length, 1);
  assert.match(healthchecks[0].getArgumentsContent() ?? '', /CMD \["node", "scripts\/healthcheck\.mjs"\]/);
  assert.match(readFileSync(join(ROOT, 'scripts/healthcheck.mjs'), 'utf8'), /\/readyz/);
  const cmd = runtime.filter((i) => i.getKeyword() === 'CMD');
  assert.match(cmd.at(-1)!.getArgumentsContent() ?? '', /dist\/main\.mjs/);

  // The build stage's COPY sources exist and are not excluded; the runtime copies what the build makes.
  const ignored = (path: string) => dockerignore.some((p) => path === p || path.startsWith(`${p}/`));
  for (const i of stage('build').filter((x) => x.getKeyword() === 'COPY')) {
    for (const src of args(i).slice(0, -1)) {
      assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: no such file`);
      assert.ok(!ignored(src), `COPY ${src} is excluded by .dockerignore`);
    }
  }
  for (const dir of ['node_modules', 'dist', 'src/generated', '.git'])
    assert.ok(ignored(dir), `.dockerignore leaves ${dir} in the context`);
  const copied = runtime.filter((i) => i.getKeyword() === 'COPY').map((i) => args(i).filter((a) => !a.startsWith('--'))[0]);
  assert.deepEqual(copied.sort(), [
    '/app/dist',
    '/app/node_modules',
    '/app/package.json',
    '/app/prisma',
    '/app/scripts/healthcheck.mjs',
    '/app/web/dist',
  ]);
  // build.mjs writes dist/ and web/dist/, which the runtime stage copies.
  assert.match(readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8'), /outdir: 'dist'/);
});

test("the image's HEALTHCHECK script: 0 when /readyz answers 200, 1 otherwise", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-health-'));
  const server = await spawnServer({ DATABASE_URL: `file:${join(dir, 'hookline.db')}`, DATA_DIR: dir });
  servers.push(server);
  const check = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['scripts/healthcheck.mjs'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  const port = new URL(server.base).port;
  assert.equal(check({ PORT: port }).status, 0);
  assert.equal(check({ PORT: '1', WORKER_PORT: port }).status, 0, 'WORKER_PORT wins (the worker container)');
  const closed = check({ PORT: String(await freePort()) });
  assert.equal(closed.status, 1);
  assert.match(closed.stderr, /ECONNREFUSED/);
});

test('compose.yaml: the API, a separate worker, PostgreSQL and Redis', (t: TestContext) => {
  const text = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
  const compose = parseYaml(text, { merge: true }) as any;
  assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'postgres', 'redis', 'worker']);
  const { api, worker, postgres, redis } = compose.services;
  for (const s of [api, worker]) {
    assert.equal(s.build, '.', 'built from this repository');
    assert.equal(s.image, api.image);
  }
  assert.equal(api.environment.WORKER_ENABLED, 'false', 'the API leaves delivery to the worker');
  assert.ok(worker.command.includes('dist/worker.mjs'));
  assert.match(String(worker.environment.WORKER_PORT), /^\d+$/, 'the worker serves its probes, for the HEALTHCHECK');
  assert.deepEqual(api.ports, ['4000:4000']);
  for (const s of [api, worker]) {
    const db = new URL(s.environment.DATABASE_URL);
    assert.equal(db.hostname, 'postgres');
    assert.equal(db.username, postgres.environment.POSTGRES_USER);
    assert.equal(db.password, postgres.environment.POSTGRES_PASSWORD);
    assert.equal(db.pathname, `/${postgres.environment.POSTGRES_DB}`);
    assert.equal(new URL(s.environment.REDIS_URL).hostname, 'redis');
    assert.match(s.environment.SECRET_ENCRYPTION_KEY, /^\$\{SECRET_ENCRYPTION_KEY:\?/, 'one key for both, required');
    // Only variables Hookline declares (a typo would be silently ignored).
    for (const name of Object.keys(s.environment))
      assert.ok((SETTING_NAMES as string[]).includes(name), `${name} is not a Hookline setting`);
  }
  assert.equal(api.depends_on.postgres.condition, 'service_healthy');
  assert.equal(api.depends_on.redis.condition, 'service_healthy');
  assert.equal(worker.depends_on.api.condition, 'service_healthy');
  for (const s of [postgres, redis]) assert.ok(s.healthcheck.test.length > 1, 'a healthcheck');
  assert.ok(compose.volumes['postgres-data'] !== undefined);

  // A real Compose implementation, where one is installed: Docker's plugin, or Debian's docker-compose.
  const implementation = runs('docker', ['compose', 'version'])
    ? ['docker', 'compose']
    : runs('docker-compose', ['version'])
      ? ['docker-compose']
      : null;
  if (implementation) {
    const cli = implementation;
    const file = ['-f', join(ROOT, 'compose.yaml'), 'config', '--quiet'];
    const env = { ...process.env, BOOTSTRAP_API_KEY: 'x'.repeat(20), SECRET_ENCRYPTION_KEY: 'ab'.repeat(32) };
    const ok = spawnSync(cli[0], [...cli.slice(1), ...file], { env, encoding: 'utf8' });
    assert.equal(ok.status, 0, `${cli.join(' ')} config:\n${ok.stderr}`);
    const { SECRET_ENCRYPTION_KEY: _k, ...noKey } = env;
    const refused = spawnSync(cli[0], [...cli.slice(1), ...file], { env: noKey, encoding: 'utf8' });
    assert.notEqual(refused.status, 0, 'compose refuses to start without SECRET_ENCRYPTION_KEY');
    assert.match(refused.stderr, /set SECRET_ENCRYPTION_KEY/);
    t.diagnostic(`${cli.join(' ')} config: the file is valid, and refuses a missing SECRET_ENCRYPTION_KEY`);
  } else {
    t.diagnostic('no Compose implementation here (docker compose, docker-compose): compose.yaml checked with the yaml parser only');
  }
  if (runs('docker', ['info'])) t.diagnostic('a Docker daemon answers, but the image is not built by this test (it pulls base images)');
  else t.diagnostic('no Docker daemon here: the image was not built or run');
});
