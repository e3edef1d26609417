package mdev.web.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The web view's settings (PID {@code mdev.web}): the token file and the host names besides
 * localhost the view answers to. The address and port are the HTTP runtime's (Felix HTTP's
 * PID {@code org.apache.felix.http}: {@code org.apache.felix.http.host}, 127.0.0.1 in the
 * distribution, and {@code org.osgi.service.http.port}).
 */
@Component(service = WebSettings.class, configurationPid = WebSettings.PID)
@Designate(ocd = WebSettings.Config.class)
public final class WebSettings {
    static final String PID = "mdev.web";
    /** Framework property naming the token file when the configuration does not. */
    static final String TOKEN_FILE_PROPERTY = "mdev.web.token.file";

    @ObjectClassDefinition(name = "mdev-osgi web view",
            description = "Who may use the web view and its REST API")
    @interface Config {
        @AttributeDefinition(description = "File holding the token that changes need (made 0600 with a random "
                + "token when missing); empty: the framework property mdev.web.token.file, else "
                + "$XDG_STATE_HOME/mdev-osgi/web-token")
        String token_file() default "";

        @AttributeDefinition(description = "Host names (the Host header) answered besides localhost, 127.0.0.1 "
                + "and [::1], for a view served on another address")
        String[] allowed_hosts() default {};
    }

    private final WebAccess access;

    @Activate
    public WebSettings(Config config, BundleContext context) {
        String file = config.token_file().isBlank() ? context.getProperty(TOKEN_FILE_PROPERTY) : config.token_file();
        Set<String> hosts = Arrays.stream(config.allowed_hosts()).map(h -> h.strip().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty()).collect(Collectors.toUnmodifiableSet());
        try {
            this.access = new WebAccess(WebAccess.tokenFile(file), hosts);
        } catch (IOException e) {
            throw new UncheckedIOException("no web token: " + e.getMessage(), e);
        }
    }

    WebAccess access() {
        return access;
    }
}
