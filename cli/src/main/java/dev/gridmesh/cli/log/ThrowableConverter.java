package dev.gridmesh.cli.log;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;

/**
 * {@code %gmex}: a logged exception as one short suffix ({@code  (IOException: reason)}) normally, the full stack
 * trace on the following lines with {@code --debug}.
 */
public final class ThrowableConverter extends ThrowableProxyConverter {
    @Override
    public String convert(ILoggingEvent event) {
        IThrowableProxy t = event.getThrowableProxy();
        if (t == null) {
            return "";
        }
        if (Logging.debugEnabled()) {
            return super.convert(event);
        }
        String cls = t.getClassName().substring(t.getClassName().lastIndexOf('.') + 1);
        String msg = t.getMessage();
        return "  (" + cls + (msg == null ? "" : ": " + msg.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ")) + ")"
                + System.lineSeparator();
    }
}
