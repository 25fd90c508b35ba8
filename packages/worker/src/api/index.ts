export { swarmRoutes } from './routes';
export { taskToApi } from './shapes';
