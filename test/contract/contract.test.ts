import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectors } from '../../connectors/registry.ts';
import { runConnectorContract } from './connector-contract.ts';

/**
 * One contract suite, every registered connector: the suite is the same, the differences are in
 * each connector's own fixture (its definition's `contractFixture`). A new connector in the
 * registry is run here without touching this file.
 */
test('every registered connector brings a contract fixture', () => {
  assert.ok(connectors.length > 0);
  for (const definition of connectors) assert.equal(typeof definition.contractFixture, 'function', `${definition.id} has no contractFixture`);
});

for (const definition of connectors) {
  if (!definition.contractFixture) continue;
  runConnectorContract(definition, await definition.contractFixture());
}
