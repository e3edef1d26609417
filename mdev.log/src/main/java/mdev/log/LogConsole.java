package mdev.log;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where log lines meant for the operator's screen go while an interactive console owns the
 * terminal (it prints them above its prompt). Registered as a service by the console; without
 * one, lines go to the process's standard error.
 */
@ConsumerType
public interface LogConsole {
    /** Prints one formatted log line (no line terminator). */
    void printLine(String line);
}
