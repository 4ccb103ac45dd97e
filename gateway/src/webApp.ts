import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import path from 'node:path';
import { HttpError } from '@dorandoran/service-kit';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The app's pages run only the build's own files: no inline script, no other origin's script,
 * style or frame. `connect-src 'self'` covers graphql-ws on the same host (ws: and wss: count as
 * 'self' for an http(s) page). Images may also come from https: avatars are addresses people
 * give in their profiles, and an image cannot run code.
 */
export const APP_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every file of the app: the policy above and the usual hardening. */
export const APP_SECURITY_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'content-security-policy': APP_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** The build's precompressed variants (web/vite.config.mts), best first. */
const ENCODINGS = [
  { name: 'br', extension: '.br' },
  { name: 'gzip', extension: '.gz' },
] as const;

/** Files at the build's root that are not hashed but change rarely (the favicon): a day in caches. */
const DAY_CACHED = new Set(['.ico', '.svg', '.png']);

export interface WebAppOptions {
  /** The build folder (web/dist). */
  distDir: string;
  /** Serve the local GraphiQL (dist/graphiql.html) at /graphiql, as the Sandbox is served: in development only. */
  graphiql: boolean;
}

/**
 * Serves the built web app (web/dist) from the router's port: its files, and index.html for a page
 * load of any other path without a file extension (the app's own routes, e.g. /chat/…). Vite's hashed assets
 * are cached for good; index.html is revalidated so a new build is picked up. A file with a
 * precompressed variant the client accepts is sent as that variant (brotli, else gzip).
 */
export function serveWebApp({ distDir, graphiql }: WebAppOptions) {
  const root = path.resolve(distDir);
  const send = async (req: IncomingMessage, res: ServerResponse, file: string) => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
    const extension = path.extname(file);
    const immutable = file.startsWith(path.join(root, 'assets') + path.sep);
    const variant = await compressedVariant(file, req.headers['accept-encoding']);
    res.writeHead(200, {
      ...APP_SECURITY_HEADERS,
      'content-type': TYPES[extension] ?? 'application/octet-stream',
      'content-length': variant?.size ?? info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : DAY_CACHED.has(extension) ? 'public, max-age=86400' : 'no-cache',
      // Whether a variant exists is the build's business: a cache must key every file on the encoding asked for.
      vary: 'accept-encoding',
      ...(variant ? { 'content-encoding': variant.encoding } : {}),
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(variant?.file ?? file).pipe(res);
    return true;
  };
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = decodedPath(url.pathname);
    if (pathname === '/graphiql') return graphiql && send(req, res, path.join(root, 'graphiql.html'));
    const file = path.resolve(root, `.${pathname}`);
    // A path that climbs out of the build folder is nobody's file.
    if (file !== root && !file.startsWith(root + path.sep)) return false;
    // The variants are served for their originals, never asked for by name.
    if (ENCODINGS.some((encoding) => file.endsWith(encoding.extension))) return false;
    if (await send(req, res, file === root ? path.join(root, 'index.html') : file)) return true;
    // Only a browser's page load (which asks for text/html) gets the app for an unknown path; an
    // API client or a probe asking for /nowhere gets the router's 404.
    if (path.extname(url.pathname) || !(req.headers.accept ?? '').includes('text/html')) return false;
    return send(req, res, path.join(root, 'index.html'));
  };
}

/** The best precompressed variant of `file` that Accept-Encoding allows (a q of 0 refuses one), if the build made it. */
async function compressedVariant(file: string, acceptEncoding: string | undefined): Promise<{ file: string; encoding: string; size: number } | undefined> {
  const accepted = acceptedEncodings(acceptEncoding);
  for (const { name, extension } of ENCODINGS) {
    if (!accepted.has(name)) continue;
    const info = await stat(file + extension).catch(() => undefined);
    if (info?.isFile()) return { file: file + extension, encoding: name, size: info.size };
  }
  return undefined;
}

function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const entry of (header ?? '').split(',')) {
    const [name, ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  // `*` accepts what is not named otherwise.
  if (accepted.has('*')) for (const { name } of ENCODINGS) if (!header?.toLowerCase().includes(name)) accepted.add(name);
  return accepted;
}

function decodedPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The path is not valid percent-encoding (a "%" must be followed by two hex digits).');
  }
}
