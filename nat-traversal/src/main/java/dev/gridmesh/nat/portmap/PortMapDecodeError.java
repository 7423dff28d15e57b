package dev.gridmesh.nat.portmap;

/** Why bytes from a gateway did not decode as a port mapping message. */
public enum PortMapDecodeError {
    /** Fewer bytes than the fixed part of the message. */
    TOO_SHORT,
    /** More bytes than the protocol allows, or a length that is not a multiple of 4 (PCP). */
    BAD_LENGTH,
    /** A version this codec does not speak. */
    BAD_VERSION,
    /** A request where a response was expected (R bit / opcode high bit clear), or the other way round. */
    WRONG_DIRECTION,
    /** An opcode this codec does not know. */
    UNKNOWN_OPCODE,
    /** A PCP option header or value runs past the end of the message. */
    BAD_OPTION,
    /** Not HTTP/1.x, a missing header, or a header that does not parse (SSDP). */
    BAD_HTTP,
    /** XML that does not parse, or lacks the element a UPnP message needs. */
    BAD_XML
}
