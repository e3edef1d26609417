package mdev.shell.internal;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jline.reader.LineReader;

/**
 * While the terminal console runs, what the framework logs to the console is printed above the
 * prompt and the line being typed (JLine redraws them), one line a record:
 * {@code 12:34:56 WARNING ClassName: message}, instead of into the middle of the prompt. The
 * console handlers it stands in for come back when the console ends.
 */
final class LogAbovePrompt extends Handler {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private final LineReader reader;
    private final List<Handler> replaced = new ArrayList<>();

    private LogAbovePrompt(LineReader reader) {
        this.reader = reader;
    }

    static LogAbovePrompt install(LineReader reader) {
        LogAbovePrompt above = new LogAbovePrompt(reader);
        Logger root = LogManager.getLogManager().getLogger("");
        Level level = Level.INFO;
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler) {
                above.replaced.add(h);
                level = h.getLevel();
                root.removeHandler(h);
            }
        }
        above.setLevel(level);
        root.addHandler(above);
        return above;
    }

    void uninstall() {
        Logger root = LogManager.getLogManager().getLogger("");
        root.removeHandler(this);
        replaced.forEach(root::addHandler);
        replaced.clear();
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
        String message = record.getMessage();
        if (record.getParameters() != null && message != null) {
            message = java.text.MessageFormat.format(message, record.getParameters());
        }
        String line = LocalTime.now().format(TIME) + " " + record.getLevel().getName() + " "
                + logger.substring(logger.lastIndexOf('.') + 1) + ": " + message
                + (record.getThrown() == null ? "" : " (" + record.getThrown() + ")");
        reader.printAbove(line);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
