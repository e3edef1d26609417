package mdev.shell.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The usage lines of a shell command, made from the command service's public methods and their
 * {@link Descriptor}s: one line per overload, {@code scope:function <param> [<optional>...]}.
 * What the console answers when Gogo finds no overload for the arguments given, instead of
 * Gogo's "Cannot coerce ..." text.
 */
final class Usage {
    private Usage() {
    }

    /** Usage lines of {@code command} (scoped or not) among the command services; empty if none is known. */
    static List<String> of(BundleContext context, String command) {
        String scope = command.contains(":") ? command.substring(0, command.indexOf(':')) : null;
        String function = command.substring(command.indexOf(':') + 1);
        List<String> lines = new ArrayList<>();
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences((String) null, "(osgi.command.function=" + function + ")");
        } catch (InvalidSyntaxException badName) {
            return lines;
        }
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Object refScope = ref.getProperty("osgi.command.scope");
            if (scope != null && !scope.equals(refScope)) {
                continue;
            }
            Object service = context.getService(ref);
            if (service == null) {
                continue;
            }
            try {
                for (Method m : service.getClass().getMethods()) {
                    if (m.getName().equals(function) && m.getDeclaringClass() != Object.class) {
                        lines.add(line(refScope + ":" + function, m));
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        lines.sort(null);
        return lines;
    }

    private static String line(String name, Method m) {
        StringBuilder sb = new StringBuilder(name);
        Parameter[] params = m.getParameters();
        Annotation[][] annotations = m.getParameterAnnotations();
        for (int i = 0; i < params.length; i++) {
            if (params[i].getType() == CommandSession.class) {
                continue;
            }
            String what = params[i].getName();
            for (Annotation a : annotations[i]) {
                if (a instanceof Descriptor d) {
                    what = d.value();
                }
            }
            boolean optional = m.isVarArgs() && i == params.length - 1;
            sb.append(' ').append(optional ? "[<" + what + ">...]" : "<" + what + ">");
        }
        return sb.toString();
    }
}
