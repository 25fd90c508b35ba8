// /volumes/...: translate HTTP to the volume backend.
import type { VolumeBackend } from '../backend';
import type { Router } from '../router';
import { InvalidArgumentError } from '../../errors';
import { qBool, qFilters, readJson, sendJson, sendNoContent } from '../http';
import { volumeCreateSchema } from '../schemas';

export function volumeRoutes(r: Router, v: VolumeBackend): void {
  r.add('GET', '/volumes', async ({ res }) => sendJson(res, 200, { Volumes: await v.list(), Warnings: null }));
  r.add('POST', '/volumes/create', async ({ req, res }) => {
    const b = await readJson(req, volumeCreateSchema);
    sendJson(
      res,
      201,
      await v.create({
        Name: b.Name,
        Driver: b.Driver,
        DriverOpts: b.DriverOpts ?? undefined,
        Labels: b.Labels ?? undefined,
      }),
    );
  });
  r.add('POST', '/volumes/prune', async ({ res, query }) => {
    if (!v.prune) throw new InvalidArgumentError('volume prune is not supported');
    const all = qFilters(query)?.all?.[0];
    sendJson(res, 200, await v.prune({ all: all === 'true' || all === '1' }));
  });
  r.add('GET', '/volumes/{name}', async ({ res, params }) => sendJson(res, 200, await v.inspect(params.name!)));
  r.add('DELETE', '/volumes/{name}', async ({ res, params, query }) => {
    await v.remove(params.name!, { force: qBool(query, 'force') });
    sendNoContent(res);
  });
}
