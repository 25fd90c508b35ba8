export { schedule, type ScheduleResult } from './scheduler';
export { parseConstraint, satisfies, type Constraint } from './constraints';
export { InvalidConstraintError } from './errors';
export { SchedulerLoop } from './loop';
