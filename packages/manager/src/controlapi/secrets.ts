// Secrets in the control API (behind /secrets): a SecretSpec's data is never returned, nor its past versions.
import type { Store } from '../store/store';
import type { Driver } from '../types';
import { DataObjectApi, type DataObject } from './data-objects';
import { checkSecretDriver, type DataSpecBody } from './data-rules';

/** docker's Secret JSON: Spec without Data; flotilla adds DataVersion (the count of data changes). */
export interface SecretView {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels: Record<string, string>; Driver?: Driver; Templating?: Driver };
  DataVersion: number;
}

/** What a client sees of a stored secret (docker's annotations always carry Labels). */
export function secretView(o: DataObject): SecretView {
  const { Name, Labels, Templating } = o.Spec;
  return {
    ID: o.ID,
    Version: o.Version,
    CreatedAt: o.CreatedAt,
    UpdatedAt: o.UpdatedAt,
    Spec: { Name, Labels: Labels ?? {}, ...(Templating ? { Templating } : {}) },
    DataVersion: o.DataVersion,
  };
}

export class SecretApi extends DataObjectApi<SecretView> {
  constructor(store: Store, now: () => number = Date.now) {
    super(store, 'secrets', secretView, now);
  }

  protected override checkKind(body: DataSpecBody): void {
    checkSecretDriver(body.Driver);
  }
}
