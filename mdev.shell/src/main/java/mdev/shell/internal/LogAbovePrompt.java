package mdev.shell.internal;

import org.jline.reader.LineReader;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import mdev.log.LogConsole;

/**
 * While the terminal console runs, the log lines meant for the screen are printed above the
 * prompt and the line being typed (JLine redraws them) instead of into the middle of it: a
 * {@link LogConsole} service the log writer prints through, gone when the console ends.
 */
final class LogAbovePrompt implements LogConsole {
    private final LineReader reader;
    private final ServiceRegistration<LogConsole> registration;

    private LogAbovePrompt(LineReader reader, BundleContext context) {
        this.reader = reader;
        this.registration = context.registerService(LogConsole.class, this, null);
    }

    static LogAbovePrompt install(LineReader reader, BundleContext context) {
        return new LogAbovePrompt(reader, context);
    }

    void uninstall() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework is stopping
        }
    }

    @Override
    public void printLine(String line) {
        reader.printAbove(line);
    }
}
