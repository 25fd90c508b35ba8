// Configs in the control API (behind /configs): like secrets, but inspect shows the data (as docker does).
import type { Store } from '../store/store';
import type { Driver } from '../types';
import { DataObjectApi, type DataObject } from './data-objects';

/** docker's Config JSON (Spec.Data base64); flotilla adds DataVersion. Past versions are never shown. */
export interface ConfigView {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels: Record<string, string>; Data: string; Templating?: Driver };
  DataVersion: number;
}

export function configView(o: DataObject): ConfigView {
  const { Name, Labels, Data, Templating } = o.Spec;
  return {
    ID: o.ID,
    Version: o.Version,
    CreatedAt: o.CreatedAt,
    UpdatedAt: o.UpdatedAt,
    Spec: { Name, Labels: Labels ?? {}, Data: Data ?? '', ...(Templating ? { Templating } : {}) },
    DataVersion: o.DataVersion,
  };
}

export class ConfigApi extends DataObjectApi<ConfigView> {
  constructor(store: Store, now: () => number = Date.now) {
    super(store, 'configs', configView, now);
  }
}
