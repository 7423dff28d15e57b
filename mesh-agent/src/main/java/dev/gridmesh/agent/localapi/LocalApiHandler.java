package dev.gridmesh.agent.localapi;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Serves one operation. Runs on a virtual thread per connection; must be thread-safe. The returned object (a record
 * of the documented schema) is serialized with Jackson as the response's {@code result}.
 */
@FunctionalInterface
public interface LocalApiHandler {
    /**
     * @param params the request's {@code params} object (an empty object when absent)
     * @throws LocalApiException answered as {@code {"ok":false,"error":MESSAGE}}
     */
    Object handle(JsonNode params) throws LocalApiException;
}
