// Image commands (build, images, rmi, tag, save, load, import, pull, push, login, logout, history),
// each in the file of its seam; main.ts loads this module on first use.
export { build } from './image-build';
export { history, images } from './image-list';
export { rmi, tag } from './image-tag';
export { importImage, load, save } from './image-transfer';
export { login, logout, pull, push } from './image-registry';
