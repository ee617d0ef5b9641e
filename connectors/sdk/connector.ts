/**
 * The connector contract, in one import: the definition a connector declares (definition.ts),
 * the capability interfaces its instance implements (capabilities.ts), and the shared model
 * (hub-model.ts). How to add a connector: docs/adding-a-connector.md.
 */
export * from './definition.ts';
export * from './capabilities.ts';
export type * from './contract-fixture.ts';
