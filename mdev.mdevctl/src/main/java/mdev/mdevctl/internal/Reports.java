package mdev.mdevctl.internal;

import mdev.core.ErrnoException;

/** How mdevctl's failures are shown. */
final class Reports {
    private Reports() {
    }

    /**
     * As mdevctl prints a failure (anyhow's report from {@code main}): {@code Error: <message>}
     * and, when the failure came from a sysfs write, the OS error under "Caused by".
     */
    static String mdevctlForm(ErrnoException e) {
        StringBuilder text = new StringBuilder("Error: ").append(e.getMessage());
        if (e.getCause() instanceof ErrnoException cause) {
            text.append("\n\nCaused by:\n    ").append(cause.errno().description())
                    .append(" (os error ").append(cause.errno().number()).append(')');
        }
        return text.toString();
    }

    /** One line for logs and the shell: mdevctl's message, then the cause's own. */
    static String oneLine(ErrnoException e) {
        if (e.getCause() instanceof ErrnoException cause) {
            return e.getMessage() + " (" + cause.errno() + ": " + cause.getMessage() + ")";
        }
        return e.getMessage();
    }
}
