package mdev.log.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.osgi.service.log.LoggerFactory;

/**
 * What libraries log through java.util.logging (Jetty through slf4j-jdk14, for one) goes to the
 * Log Service as this bundle's records, under the JUL logger's name, instead of JUL's two-line
 * console format; JUL's console handlers step aside while it is installed.
 */
final class JulBridge extends Handler {
    private final LoggerFactory factory;
    private final List<Handler> replaced = new ArrayList<>();

    private JulBridge(LoggerFactory factory) {
        this.factory = factory;
    }

    static JulBridge install(LoggerFactory factory) {
        JulBridge bridge = new JulBridge(factory);
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler) {
                bridge.replaced.add(h);
                root.removeHandler(h);
            }
        }
        root.addHandler(bridge);
        return bridge;
    }

    void uninstall() {
        Logger root = LogManager.getLogManager().getLogger("");
        root.removeHandler(this);
        replaced.forEach(root::addHandler);
        replaced.clear();
    }

    @Override
    public void publish(LogRecord record) {
        String message = record.getMessage();
        if (message != null && record.getParameters() != null && record.getParameters().length > 0) {
            try {
                message = java.text.MessageFormat.format(message, record.getParameters());
            } catch (IllegalArgumentException notAPattern) {
                // printed as it came
            }
        }
        org.osgi.service.log.Logger logger = factory.getLogger(record.getLoggerName() == null ? "jul" : record.getLoggerName());
        Object[] args = record.getThrown() == null ? new Object[] {message} : new Object[] {message, record.getThrown()};
        int level = record.getLevel().intValue();
        if (level >= Level.SEVERE.intValue()) {
            logger.error("{}", args);
        } else if (level >= Level.WARNING.intValue()) {
            logger.warn("{}", args);
        } else if (level >= Level.INFO.intValue()) {
            logger.info("{}", args);
        } else if (level >= Level.FINE.intValue()) {
            logger.debug("{}", args);
        } else {
            logger.trace("{}", args);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
