// The ports and limits of the cluster views (src/cluster/): which TCP
// services make the call-processing mesh and sit beside it, and how large
// the tables may grow. The config file's "cluster" key sets them.

export interface ClusterParams {
  /** Intra-cluster communication signaling: a TCP full mesh between the call-processing nodes (seed 000). */
  iccsPort: number;
  /** CTI Manager (seed 000). */
  ctiPort: number;
  /** Database replication from the publisher (Informix), inclusive range. */
  dbPorts: readonly [number, number];
  /** SIP over TCP: where RFC 5626 CRLF keepalives are counted. */
  sipPorts: readonly number[];
  /** Nodes kept in the mesh; connections of further nodes are counted, not drawn (a mesh has at most 8 call-processing nodes). */
  maxNodes: number;
  /** Payload-free connections from one source to one service before it is taken for a health checker. */
  healthCheckMinProbes: number;
}

export const DEFAULT_CLUSTER_PARAMS: ClusterParams = {
  iccsPort: 8002,
  ctiPort: 2748,
  dbPorts: [1500, 1501],
  sipPorts: [5060],
  maxNodes: 64,
  healthCheckMinProbes: 3,
};
