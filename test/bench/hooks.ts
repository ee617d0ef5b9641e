export { default } from '../admin/hooks-bench.ts';
