export { schedule, type ScheduleResult } from './scheduler';
export { parseConstraint, satisfies, InvalidConstraintError, type Constraint } from './constraints';
export { SchedulerLoop } from './loop';
