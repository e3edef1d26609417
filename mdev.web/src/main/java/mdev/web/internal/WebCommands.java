package mdev.web.internal;

import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** {@code web:url} (where the view is served) and {@code web:token} (the file with the token changes need). */
@Component(service = WebCommands.class, property = {
        "osgi.command.scope=web",
        "osgi.command.function=url",
        "osgi.command.function=token" })
public final class WebCommands {
    private final BundleContext context;
    private final WebSettings settings;

    @Activate
    public WebCommands(BundleContext context, @Reference WebSettings settings) {
        this.context = context;
        this.settings = settings;
    }

    /** The page's address on each endpoint of the HTTP runtime (http://127.0.0.1:8080/mdev/). */
    public String url() {
        List<String> urls = new ArrayList<>();
        for (ServiceReference<HttpServiceRuntime> ref : runtimes()) {
            Object endpoints = ref.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
            for (String endpoint : strings(endpoints)) {
                urls.add(endpoint.endsWith("/") ? endpoint + "mdev/" : endpoint + "/mdev/");
            }
        }
        if (urls.isEmpty()) {
            throw new ErrnoException(Errno.ENODEV, "no HTTP runtime is serving (bundle org.apache.felix.http.jetty)");
        }
        return String.join("\n", urls);
    }

    /** The token file's path. */
    public String token() {
        return settings.access().tokenFile().toString();
    }

    private List<ServiceReference<HttpServiceRuntime>> runtimes() {
        try {
            return new ArrayList<>(context.getServiceReferences(HttpServiceRuntime.class, null));
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> strings(Object value) {
        List<String> list = new ArrayList<>();
        if (value instanceof String s) {
            list.add(s);
        } else if (value instanceof String[] a) {
            list.addAll(List.of(a));
        } else if (value instanceof java.util.Collection<?> c) {
            c.forEach(o -> list.add(String.valueOf(o)));
        }
        return list;
    }
}
