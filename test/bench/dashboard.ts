export { default } from '../browser/dashboard-bench.ts';
