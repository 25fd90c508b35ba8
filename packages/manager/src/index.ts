export type * from './api/types';
