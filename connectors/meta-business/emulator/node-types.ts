/** Every node type the emulator renders, so a test can hold their fields against graph-fields.json. */
import type { NodeType } from './node-fields.ts';
import { businessNode } from './business-node.ts';
import { assignedUserNode, businessUserNode, inviteNode, systemUserNode } from './graph-nodes.ts';
import { assetNode } from './asset-nodes.ts';
import { assetAgencyNode, partnerNode } from './partner-nodes.ts';

export const NODE_TYPES: ReadonlyArray<NodeType<any>> = [
  businessNode, businessUserNode, inviteNode, systemUserNode, assignedUserNode,
  assetNode('ad_account'), assetNode('page'), assetNode('catalog'), assetNode('pixel'), partnerNode, assetAgencyNode,
];
