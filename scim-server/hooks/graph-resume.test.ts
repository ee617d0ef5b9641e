import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { ENTRA, writebackConfig } from '../../agent/writeback/writeback-fixtures.ts';
import { graphResume } from './graph-resume.ts';

const target = { workflowId: 'wf-1', taskId: 'task-1', taskProcessingResultId: 'tpr-1' };

test('resume through the real Graph SDK: 204 (Microsoft\'s resume API docs) and a 200 declaring JSON with no body both count as resumed; a refusal still throws', async () => {
  for (const resumeAnswer of ['no-content', 'empty-json'] as const) {
    const graph = createGraphEmulator({ ...ENTRA, readings: { resumeAnswer } });
    const server = await graph.listen();
    try {
      const resume = graphResume(writebackConfig({ graph: server.url }), { maxRetries: 0 });
      await resume('entra', target, 'completed');
      assert.deepEqual(graph.resumes.map((r) => [r.version, r.taskProcessingResultId, (r.body as { data: { operationStatus: string } }).data.operationStatus]), [['v1.0', 'tpr-1', 'completed']], resumeAnswer);
    } finally {
      await server.close();
    }
  }
  const refusing = createGraphEmulator({ ...ENTRA, resumeAuthorizedApps: ['someone-else'], readings: { resumeAnswer: 'empty-json' } });
  const server = await refusing.listen();
  try {
    await assert.rejects(graphResume(writebackConfig({ graph: server.url }), { maxRetries: 0 })('entra', target, 'completed'), (err: { statusCode?: number }) => err.statusCode === 403);
  } finally {
    await server.close();
  }
});

test('resume: a Graph that takes operationStatus only as Microsoft\'s resume sample spells it ("Completed") is resumed on the second try; lower case stays first', async () => {
  const graph = createGraphEmulator({ ...ENTRA, readings: { resumeStatusCase: 'sample' } });
  const server = await graph.listen();
  try {
    const resume = graphResume(writebackConfig({ graph: server.url }), { maxRetries: 0 });
    await resume('entra', target, 'completed');
    await resume('entra', { ...target, taskProcessingResultId: 'tpr-2' }, 'failed');
    const sent = graph.calls.filter((c) => c.path.endsWith('/resume')).map((c) => `${(c.body as { data: { operationStatus: string } }).data.operationStatus} ${c.status}`);
    assert.deepEqual(sent, ['completed 400', 'Completed 204', 'failed 400', 'Failed 204']);
    assert.equal(graph.resumes.length, 2);
  } finally {
    await server.close();
  }
});

test('Graph emulator: a second resume of the same taskProcessingResult is refused (400) by default, Microsoft\'s resume API page documenting only the 204; taken again with the reading resumeRepeat: accepted', async () => {
  for (const resumeRepeat of ['refused', 'accepted'] as const) {
    const graph = createGraphEmulator({ ...ENTRA, readings: { resumeRepeat } });
    const server = await graph.listen();
    try {
      const resume = graphResume(writebackConfig({ graph: server.url }), { maxRetries: 0 });
      await resume('entra', target, 'completed');
      const again = resume('entra', target, 'completed');
      if (resumeRepeat === 'refused') await assert.rejects(again, (err: { statusCode?: number }) => err.statusCode === 400);
      else await again;
      await resume('entra', { ...target, taskProcessingResultId: 'tpr-other' }, 'completed');
      assert.deepEqual(graph.resumes.map((r) => r.taskProcessingResultId), resumeRepeat === 'refused' ? ['tpr-1', 'tpr-other'] : ['tpr-1', 'tpr-1', 'tpr-other'], resumeRepeat);
    } finally {
      await server.close();
    }
  }
});
