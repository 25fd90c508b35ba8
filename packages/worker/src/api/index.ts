export { swarmRoutes } from './routes';
export { taskToApi, serviceToApi, nodeToApi } from './shapes';
