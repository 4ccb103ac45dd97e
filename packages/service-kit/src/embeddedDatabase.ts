import { createHash } from 'node:crypto';
import { openAsBlob, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lockEmbeddedDatabase } from './embeddedLock';
import type { Logger } from './logger';

/**
 * PGlite's start, with a buffer pool of 16 MB instead of initdb's 128 MB: an embedded database is
 * one WASM PostgreSQL that zeroes its shared memory at start, which took 0.4 s and 120 MB of memory
 * per service (five under `npm start`) for databases of a few megabytes.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Where made clusters are kept between processes, as tar images PGlite loads (`loadDataDir`): initdb
 * takes 1.5–3.5 s of CPU in WASM, and every test file (its own module registry) and every first
 * `npm start` would run it again. An image is named after the PGlite release and start parameters
 * it was made with, so an upgrade makes new ones. One folder per user, which only they can write.
 */
const IMAGES = path.join(os.tmpdir(), `dorandoran-pglite-${process.getuid?.() ?? 'user'}`);

const engine = (() => {
  const packageJson = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return createHash('sha256').update(`${version}\n${PGLITE_START_PARAMS.join(' ')}`).digest('hex').slice(0, 12);
})();

/** Whether the folder is this user's and no one else can write in it. */
export async function writableOnlyByThisUser(folder: string): Promise<boolean> {
  const info = await stat(folder).catch(() => undefined);
  return info !== undefined && info.isDirectory() && (process.getuid === undefined || info.uid === process.getuid()) && (info.mode & 0o022) === 0;
}

let folder: Promise<string | undefined> | undefined;

/**
 * The images' folder, made when missing; undefined when it is not this user's alone: an image
 * another user could have written is not loaded, and each start makes its cluster itself.
 */
function imagesFolder(): Promise<string | undefined> {
  folder ??= (async () => {
    await mkdir(IMAGES, { recursive: true, mode: 0o700 }).catch(() => undefined);
    if (!(await writableOnlyByThisUser(IMAGES))) return undefined;
    await removeAbandonedImages(IMAGES);
    return IMAGES;
  })();
  return folder;
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Deletes the half-written images (`<name>.<pid>.partial`, keep) of processes that ended while
 * writing one, a test worker killed at the end of a run say: 25–40 MB each, which nothing else removes.
 */
export async function removeAbandonedImages(images: string): Promise<void> {
  for (const name of await readdir(images).catch(() => [])) {
    const writer = /\.(\d+)\.partial$/.exec(name);
    if (writer && !running(Number(writer[1]))) await rm(path.join(images, name), { force: true });
  }
}

/** Images this process is making, so that concurrent starts make each once. */
const making = new Map<string, Promise<Blob>>();

/**
 * The image `name`, made by `make` when it is missing. The Blob reads the file only when PGlite
 * loads it, so 40 MB are not held meanwhile.
 */
async function image(name: string, make: () => Promise<Blob>): Promise<Blob> {
  const images = await imagesFolder();
  if (!images) return make();
  const file = path.join(images, name);
  try {
    return await openAsBlob(file);
  } catch {
    // Missing (or unreadable): made below.
  }
  let made = making.get(file);
  if (!made) {
    made = (async () => {
      const blob = await make();
      await keep(file, blob);
      return blob;
    })().finally(() => making.delete(file));
    making.set(file, made);
  }
  return made;
}

/**
 * Writes the image beside its name and renames it into place, so a half-written image is never
 * loaded; two processes writing it at once each write a whole one, and the last rename wins. An
 * image that cannot be written (a full disk) is only made again next time.
 */
async function keep(file: string, blob: Blob): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  try {
    await writeFile(partial, Buffer.from(await blob.arrayBuffer()));
    await rename(partial, file);
  } catch {
    await rm(partial, { force: true }).catch(() => undefined);
  }
}

/** A fresh cluster, as initdb leaves it. */
function freshImage(): Promise<Blob> {
  return image(`fresh-${engine}.tar`, async () => {
    const cluster = await PGlite.create(undefined, { startParams: PGLITE_START_PARAMS });
    try {
      return await cluster.dumpDataDir('none');
    } finally {
      await cluster.close();
    }
  });
}

export interface MigratedTemplate {
  /** Names the migrations: an image is made once per fingerprint. */
  fingerprint: string;
  /** Runs the migrations against the database at `url`. */
  migrateAt(url: string): Promise<void>;
}

/**
 * A cluster migrated by `migrateAt`, for in-memory databases (tests): loading it costs 0.3 s
 * where initdb and the migrations cost several. Images of the service's other migrations are deleted.
 * Without the template databases, which only CREATE DATABASE reads and nothing runs in PGlite: of
 * the image's 40 MB and 1,000 files they were 15 MB and 600, and every stack loads five images
 * (0.5–0.6 s of CPU less per stack).
 */
function migratedImage(service: string, { fingerprint, migrateAt }: MigratedTemplate): Promise<Blob> {
  const prefix = `migrated-${service}-`;
  const name = `${prefix}${fingerprint}-${engine}-without-templates.tar`;
  return image(name, async () => {
    const cluster = await PGlite.create(undefined, { startParams: PGLITE_START_PARAMS, loadDataDir: await freshImage() });
    const server = new PGLiteSocketServer({ db: cluster, host: '127.0.0.1', port: 0, maxConnections: 1 });
    try {
      await server.start();
      await migrateAt(`postgresql://postgres@${server.getServerConn()}/postgres`);
      for (const template of ['template0', 'template1']) {
        await cluster.exec(`ALTER DATABASE ${template} WITH ALLOW_CONNECTIONS false IS_TEMPLATE false`);
        await cluster.exec(`DROP DATABASE ${template}`);
      }
      await cluster.exec('CHECKPOINT');
      const blob = await cluster.dumpDataDir('none');
      const images = await imagesFolder();
      if (images) {
        for (const stale of await readdir(images).catch(() => [])) {
          if (stale.startsWith(prefix) && stale !== name && !stale.endsWith('.partial')) await rm(path.join(images, stale), { force: true });
        }
      }
      return blob;
    } finally {
      await server.stop();
      await cluster.close();
    }
  });
}

/**
 * Fills an empty data folder with a fresh cluster. It is made beside the folder and renamed into
 * place, so an interrupted first start leaves no half cluster.
 */
async function seedFreshCluster(dataPath: string): Promise<void> {
  const copy = `${dataPath}.new`;
  await rm(copy, { recursive: true, force: true });
  const cluster = await PGlite.create(copy, { startParams: PGLITE_START_PARAMS, loadDataDir: await freshImage() });
  await cluster.close();
  await rmdir(dataPath);
  await rename(copy, dataPath);
}

export interface EmbeddedOptions {
  service: string;
  /** Kept in `<dataDir>/<service>/pgdata`; unset means in memory (tests). */
  dataDir?: string;
  /** In memory: start from an image already migrated (made once per fingerprint). */
  migratedTemplate?: MigratedTemplate;
  logger: Logger;
}

export interface EmbeddedDatabase {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts PGlite and serves it over the Postgres wire protocol (pglite-socket) on a loopback port, so
 * the ORM talks `pg` in both modes and nothing else differs.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  let dataPath: string | undefined;
  let unlock = async () => undefined as void;
  if (options.dataDir) {
    dataPath = path.resolve(options.dataDir, options.service, 'pgdata');
    await mkdir(dataPath, { recursive: true });
    unlock = await lockEmbeddedDatabase(options.dataDir, options.service);
  }
  try {
    let pglite: PGlite;
    if (dataPath) {
      if ((await readdir(dataPath)).length === 0) await seedFreshCluster(dataPath);
      pglite = await PGlite.create(dataPath, { startParams: PGLITE_START_PARAMS });
    } else {
      const start = options.migratedTemplate ? await migratedImage(options.service, options.migratedTemplate) : await freshImage();
      pglite = await PGlite.create(undefined, { startParams: PGLITE_START_PARAMS, loadDataDir: start });
    }
    const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    options.logger.info({ data: dataPath ?? 'memory' }, 'embedded PostgreSQL (PGlite) started');
    return {
      url: `postgresql://postgres@${server.getServerConn()}/postgres`,
      async close() {
        await server.stop();
        await pglite.close();
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}
