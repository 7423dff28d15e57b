package dev.gridmesh.nat.stun;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A decoded or to-be-encoded STUN message: class, 12-bit method, transaction id and attributes in wire order.
 *
 * @param method 0x001 for Binding; the only method this codebase serves
 */
public record StunMessage(StunClass messageClass, int method, TransactionId transactionId, List<StunAttribute> attributes) {
    public static final int BINDING = 0x001;

    public StunMessage {
        requireNonNull(messageClass, "messageClass");
        requireNonNull(transactionId, "transactionId");
        if (method < 0 || method > 0xFFF) {
            throw new IllegalArgumentException("method: " + method + " (expected: 0..0xfff)");
        }
        attributes = List.copyOf(attributes);
    }

    public static StunMessage bindingRequest(TransactionId id, StunAttribute... attributes) {
        return new StunMessage(StunClass.REQUEST, BINDING, id, List.of(attributes));
    }

    public boolean isBinding() {
        return method == BINDING;
    }

    /** The first attribute of the given record type, if any. */
    public <A extends StunAttribute> Optional<A> attribute(Class<A> kind) {
        for (StunAttribute a : attributes) {
            if (kind.isInstance(a)) {
                return Optional.of(kind.cast(a));
            }
        }
        return Optional.empty();
    }

    /** The reflexive address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 8489 section 14.1 allows either). */
    public Optional<InetSocketAddress> mappedAddress() {
        return attribute(StunAttribute.XorMappedAddress.class).map(StunAttribute.XorMappedAddress::address)
                .or(() -> attribute(StunAttribute.MappedAddress.class).map(StunAttribute.MappedAddress::address));
    }

    /** Comprehension-required attribute types this codebase does not understand, in wire order, without repeats. */
    public List<Integer> unknownComprehensionRequired() {
        List<Integer> unknown = null;
        for (StunAttribute a : attributes) {
            int t = a.type();
            if (!StunAttributeType.isUnderstood(t)) {
                if (unknown == null) {
                    unknown = new ArrayList<>(2);
                }
                if (!unknown.contains(t)) {
                    unknown.add(t);
                }
            }
        }
        return unknown == null ? List.of() : unknown;
    }
}
