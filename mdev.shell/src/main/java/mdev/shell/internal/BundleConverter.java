package mdev.shell.internal;

import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Lets Gogo's bundle commands take a bundle by id or symbolic name ({@code stop 9},
 * {@code stop samples.mtty}), which this console's sessions cannot otherwise convert.
 */
@Component(service = Converter.class, property = "osgi.converter.classes=org.osgi.framework.Bundle")
public final class BundleConverter implements Converter {
    private final BundleContext context;

    @Activate
    public BundleConverter(BundleContext context) {
        this.context = context;
    }

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        if (desiredType != Bundle.class || in == null) {
            return null;
        }
        String text = in.toString();
        try {
            return context.getBundle(Long.parseLong(text));
        } catch (NumberFormatException notAnId) {
            for (Bundle b : context.getBundles()) {
                if (text.equals(b.getSymbolicName())) {
                    return b;
                }
            }
            return null;
        }
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        return null;
    }
}
