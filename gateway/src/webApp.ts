import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
 * Serves the built web app (web/dist) from the router's port: its files, and index.html for a page
 * load of any other path without a file extension (the app's own routes, e.g. /chat/…). Vite's hashed assets
 * are cached for good; index.html is revalidated so a new build is picked up.
 */
export function serveWebApp(distDir: string) {
  const root = path.resolve(distDir);
  const send = async (res: ServerResponse, file: string, method: string) => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
    const immutable = file.startsWith(path.join(root, 'assets') + path.sep);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const file = path.resolve(root, `.${decodedPath(url.pathname)}`);
    // A path that climbs out of the build folder is nobody's file.
    if (file !== root && !file.startsWith(root + path.sep)) return false;
    if (await send(res, file === root ? path.join(root, 'index.html') : file, req.method)) return true;
    // Only a browser's page load (which asks for text/html) gets the app for an unknown path; an
    // API client or a probe asking for /nowhere gets the router's 404.
    if (path.extname(url.pathname) || !(req.headers.accept ?? '').includes('text/html')) return false;
    return send(res, path.join(root, 'index.html'), req.method);
  };
}

function decodedPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The path is not valid percent-encoding (a "%" must be followed by two hex digits).');
  }
}
