package dev.gridmesh.nat.classify;

/** RFC 4787 section 4.1 mapping behaviour, as far as Binding results to two server endpoints can tell it. */
public enum MappingBehavior {
    /** The reflexive address is one of our own: no NAT on the path. */
    NO_NAT,
    /** Every server saw the same reflexive address: peers can reach us at what STUN told us. */
    ENDPOINT_INDEPENDENT,
    /** Different servers saw different reflexive addresses ("symmetric" NAT): STUN's answer is useless to peers. */
    ENDPOINT_DEPENDENT,
    /** Fewer than two servers answered, so nothing can be compared. */
    UNKNOWN
}
