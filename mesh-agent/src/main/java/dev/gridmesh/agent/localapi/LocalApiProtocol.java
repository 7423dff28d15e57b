package dev.gridmesh.agent.localapi;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Wire format of the local API, one JSON object per line (UTF-8, {@code \n}-terminated), one request then one
 * response per exchange; a connection may carry several exchanges in order:
 * <pre>
 *   request:  {"op":"show","params":{}}
 *   response: {"ok":true,"result":{...}}   or   {"ok":false,"error":"what went wrong"}
 * </pre>
 */
public final class LocalApiProtocol {
    /** Operation: the interface and its peers ({@link ShowResponse}). */
    public static final String OP_SHOW = "show";
    /** Operation: drop counters and transport ({@code {"interfaceName":..,"transport":"epoll","drops":{..}}}). */
    public static final String OP_STATS = "stats";
    /** Longest request or response line accepted. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    private LocalApiProtocol() {
    }

    /** The mapper both sides use: records, unknown fields ignored (newer agents may add fields). */
    public static ObjectMapper newMapper() {
        return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);
    }
}
