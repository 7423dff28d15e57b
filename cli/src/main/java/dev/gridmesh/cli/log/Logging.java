package dev.gridmesh.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Process-wide logging set-up for the CLI: Logback writes to stderr, INFO by default, DEBUG with {@code --debug};
 * under systemd (JOURNAL_STREAM set) lines carry a journal priority prefix instead of a timestamp.
 * The pattern lives in {@code logback.xml}; this class only picks the variant before Logback starts.
 */
public final class Logging {
    /** System property read by logback.xml: the line prefix (timestamp, or journal priority). */
    public static final String PREFIX_PROPERTY = "gridmesh.log.prefix";
    static final String TERMINAL_PREFIX = "%d{HH:mm:ss.SSS} ";
    static final String JOURNAL_PREFIX = "%gmprio";

    private static volatile boolean debug;

    private Logging() {}

    /** Call first thing in main, before any logger exists. */
    public static void init(Map<String, String> env) {
        if (System.getProperty(PREFIX_PROPERTY) == null) {
            System.setProperty(PREFIX_PROPERTY, underJournal(env) ? JOURNAL_PREFIX : TERMINAL_PREFIX);
        }
    }

    static boolean underJournal(Map<String, String> env) {
        String js = env.get("JOURNAL_STREAM");
        return js != null && !js.isBlank();
    }

    /** Switches the root logger to DEBUG and makes logged exceptions print their stack traces. */
    public static void enableDebug() {
        debug = true;
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.DEBUG);
        }
    }

    public static boolean debugEnabled() {
        return debug;
    }
}
