package dev.gridmesh.relay.store;

import dev.gridmesh.protocol.relay.ErrorCode;
import java.util.Objects;

/** What {@link Store#register} decided. */
public sealed interface Registration {
    /** The node is (now) registered; {@code created} when this call admitted it with a token. */
    record Admitted(NodeRecord node, boolean created) implements Registration {
        public Admitted {
            Objects.requireNonNull(node, "node");
        }
    }

    /** Refused: nothing was written. */
    record Refused(ErrorCode code, String reason) implements Registration {
        public Refused {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
