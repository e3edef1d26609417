package mdev.log;

import java.text.MessageFormat;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ResourceBundle;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import mdev.log.internal.StandardError;

/**
 * A logger per class: {@code private static final System.Logger LOG = Logs.of(Foo.class);}.
 * Inside a framework each record goes to the OSGi Log Service as {@code Foo}'s bundle, with the
 * class's name as logger name, so the bundle's configured level decides and readers see who
 * logged. The Log Service is looked up per record (records are rare; nothing on an I/O path
 * logs). Before the Log Service runs (early in start-up) a record is printed to standard error
 * in the console's one-line format; outside a framework (unit tests) it goes to
 * {@link System#getLogger}.
 */
public final class Logs {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private Logs() {
    }

    /** The logger of {@code owner}. */
    public static System.Logger of(Class<?> owner) {
        Bundle bundle = FrameworkUtil.getBundle(owner);
        return bundle == null ? System.getLogger(owner.getName()) : new BundleLogger(owner, bundle);
    }

    /** The console's one-line form of a record: {@code 12:34:56 WARN Foo: message (cause)}. */
    public static String consoleLine(LocalTime time, String level, String loggerName, String message, Throwable thrown) {
        String simple = loggerName == null ? "" : loggerName.substring(loggerName.lastIndexOf('.') + 1);
        StringBuilder line = new StringBuilder(TIME.format(time)).append(' ').append(level).append(' ');
        if (!simple.isEmpty()) {
            line.append(simple).append(": ");
        }
        line.append(message == null ? "" : message.replace('\n', ' '));
        if (thrown != null) {
            line.append(" (").append(thrown).append(')');
        }
        return line.toString();
    }

    /** A System.Logger on the OSGi Log Service of one bundle. */
    private static final class BundleLogger implements System.Logger {
        private final String name;
        private final Bundle bundle;

        BundleLogger(Class<?> owner, Bundle bundle) {
            this.name = owner.getName();
            this.bundle = bundle;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            if (level == Level.OFF) {
                return false;
            }
            Boolean enabled = withLogger(logger -> enabled(logger, level));
            return enabled == null ? level.getSeverity() >= Level.INFO.getSeverity() : enabled;
        }

        @Override
        public void log(Level level, ResourceBundle unused, String message, Throwable thrown) {
            emit(level, message, thrown);
        }

        @Override
        public void log(Level level, ResourceBundle unused, String format, Object... params) {
            emit(level, params == null || params.length == 0 ? format : MessageFormat.format(format, params), null);
        }

        private void emit(Level level, String message, Throwable thrown) {
            if (level == Level.OFF) {
                return;
            }
            Boolean done = withLogger(logger -> {
                if (enabled(logger, level)) {
                    Object[] args = thrown == null ? new Object[] {message} : new Object[] {message, thrown};
                    switch (level) {
                        case ALL, TRACE -> logger.trace("{}", args);
                        case DEBUG -> logger.debug("{}", args);
                        case INFO -> logger.info("{}", args);
                        case WARNING -> logger.warn("{}", args);
                        default -> logger.error("{}", args);
                    }
                }
                return Boolean.TRUE;
            });
            if (done == null && level.getSeverity() >= Level.INFO.getSeverity()) {
                StandardError.print(consoleLine(LocalTime.now(), osgiName(level), name, message, thrown));
            }
        }

        private static boolean enabled(Logger logger, Level level) {
            return switch (level) {
                case ALL, TRACE -> logger.isTraceEnabled();
                case DEBUG -> logger.isDebugEnabled();
                case INFO -> logger.isInfoEnabled();
                case WARNING -> logger.isWarnEnabled();
                default -> logger.isErrorEnabled();
            };
        }

        /** Runs {@code use} with this bundle's logger; null if there is no Log Service to use. */
        private <T> T withLogger(java.util.function.Function<Logger, T> use) {
            BundleContext context = bundle.getBundleContext();
            if (context == null) {
                return null;
            }
            try {
                ServiceReference<LoggerFactory> ref = context.getServiceReference(LoggerFactory.class);
                LoggerFactory factory = ref == null ? null : context.getService(ref);
                if (factory == null) {
                    return null;
                }
                try {
                    return use.apply(factory.getLogger(name));
                } finally {
                    context.ungetService(ref);
                }
            } catch (IllegalStateException stopped) {
                return null;   // the bundle stopped meanwhile
            }
        }
    }

    static String osgiName(System.Logger.Level level) {
        return switch (level) {
            case ALL, TRACE -> "TRACE";
            case DEBUG -> "DEBUG";
            case INFO -> "INFO";
            case WARNING -> "WARN";
            default -> "ERROR";
        };
    }

}
