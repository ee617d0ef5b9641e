export { default } from '../check-for-updates-e2e/members-bench.ts';
