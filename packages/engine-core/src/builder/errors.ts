// The builder's own errors, raised below the instruction loop; the builder turns them into a
// BuildError that names the Dockerfile line.

/** An invalid argument to a metadata instruction (a bad HEALTHCHECK duration, an empty VOLUME). */
export class ConfigInstructionError extends Error {}

/** A COPY/ADD source that is not in the build context (or is excluded by .dockerignore). */
export class SourceNotFoundError extends Error {}
