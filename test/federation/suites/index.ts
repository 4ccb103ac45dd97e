/** The conformance suites, each a supergraph with its cases: ported from graphql-hive/federation-gateway-audit (MIT), see ../README.md. */
import abstractTypes from './abstract-types';
import complexEntityCall from './complex-entity-call';
import includeSkip from './include-skip';
import interfaceObjectWithRequires from './interface-object-with-requires';
import keysMashup from './keys-mashup';
import mutations from './mutations';
import nestedProvides from './nested-provides';
import nonResolvableInterfaceObject from './non-resolvable-interface-object';
import nullKeys from './null-keys';
import overrideTypeInterface from './override-type-interface';
import overrideWithRequires from './override-with-requires';
import parentEntityCall from './parent-entity-call';
import providesOnInterface from './provides-on-interface';
import providesOnUnion from './provides-on-union';
import requiresInterface from './requires-interface';
import requiresRequires from './requires-requires';
import requiresWithArgumentConflict from './requires-with-argument-conflict';
import requiresWithArgumentValues from './requires-with-argument-values';
import requiresWithArgument from './requires-with-argument';
import requiresWithFragments from './requires-with-fragments';
import sharedRoot from './shared-root';
import simpleInaccessible from './simple-inaccessible';
import simpleInterfaceObject from './simple-interface-object';
import simpleOverride from './simple-override';
import simpleRequiresProvides from './simple-requires-provides';
import subgraphErrors from './subgraph-errors';
import typename from './typename';
import unavailableOverride from './unavailable-override';
import unionInterfaceDistributed from './union-interface-distributed';
import unionIntersection from './union-intersection';

export const SUITES = [
  abstractTypes,
  complexEntityCall,
  includeSkip,
  interfaceObjectWithRequires,
  keysMashup,
  mutations,
  nestedProvides,
  nonResolvableInterfaceObject,
  nullKeys,
  overrideTypeInterface,
  overrideWithRequires,
  parentEntityCall,
  providesOnInterface,
  providesOnUnion,
  requiresInterface,
  requiresRequires,
  requiresWithArgumentConflict,
  requiresWithArgumentValues,
  requiresWithArgument,
  requiresWithFragments,
  sharedRoot,
  simpleInaccessible,
  simpleInterfaceObject,
  simpleOverride,
  simpleRequiresProvides,
  subgraphErrors,
  typename,
  unavailableOverride,
  unionInterfaceDistributed,
  unionIntersection,
];
