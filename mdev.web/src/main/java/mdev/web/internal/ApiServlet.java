package mdev.web.internal;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import mdev.core.ErrnoException;
import mdev.log.Logs;

/**
 * The REST API under {@code /mdev/api}: JSON in and out, failures as
 * {@code {"errno":"EBUSY","message":"..."}} with the HTTP status of the errno (see
 * docs/web.md). Requests are validated by {@link ApiRequests}, checked by {@link WebAccess}
 * (allowed host; the token for anything but GET), then run on {@link HostView}.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/mdev/api/*")
public final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = Logs.of(ApiServlet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient HostView host;
    private final transient WebSettings settings;

    @Activate
    public ApiServlet(@Reference HostView host, @Reference WebSettings settings) {
        this.host = host;
        this.settings = settings;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("X-Content-Type-Options", "nosniff");
        WebAccess access = settings.access();
        if (!access.hostAllowed(request.getHeader("Host"))) {
            error(response, 421, "EACCES", "host '" + ApiRequests.shown(request.getHeader("Host")) + "' is not served here");
            return;
        }
        ApiRequests.Route route;
        try {
            route = ApiRequests.route(request.getMethod(), request.getPathInfo());
        } catch (ApiRequests.MethodNotAllowed e) {
            response.setHeader("Allow", e.allowed);
            error(response, 405, "EINVAL", e.getMessage());
            return;
        } catch (ErrnoException e) {
            error(response, HttpErrors.status(e.errno()), e.errno().name(), e.getMessage());
            return;
        }
        if (route.changes() && !access.authorized(request.getHeader("Authorization"))) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"mdev-osgi\"");
            error(response, 401, "EACCES", "changes need 'Authorization: Bearer TOKEN', the token in "
                    + access.tokenFile());
            return;
        }
        try {
            handle(route, request, response);
        } catch (ErrnoException e) {
            error(response, HttpErrors.status(e.errno()), e.errno().name(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, request.getMethod() + " " + request.getPathInfo() + " failed", e);
            error(response, 500, "EIO", "unexpected failure: " + e);
        }
    }

    private void handle(ApiRequests.Route route, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        switch (route.kind()) {
            case STATE -> json(response, 200, host.state());
            case PARENTS -> json(response, 200, host.parents());
            case SOCKETS -> json(response, 200, host.sockets());
            case BUNDLES -> json(response, 200, host.bundles());
            case DEVICES -> {
                if (route.method().equals("GET")) {
                    json(response, 200, host.devices());
                } else {
                    JsonNode body = ApiRequests.object(ApiRequests.body(request.getInputStream()), Set.of("parent", "type", "uuid"));
                    String parent = ApiRequests.requiredName(body, "parent");
                    String type = ApiRequests.requiredName(body, "type");
                    UUID uuid = ApiRequests.optionalUuid(body, "uuid");
                    UUID created = host.create(parent, type, uuid);
                    response.setHeader("Location", "/mdev/api/devices/" + created);
                    json(response, 201, host.device(created));
                }
            }
            case DEVICE -> {
                if (route.method().equals("GET")) {
                    json(response, 200, host.device(route.uuid()));
                } else {
                    host.remove(route.uuid());
                    response.setStatus(204);
                }
            }
            case ATTRIBUTES -> json(response, 200, host.attributes(route.uuid()));
            case ATTRIBUTE -> {
                String value = ApiRequests.body(request.getInputStream());
                host.writeAttribute(route.uuid(), route.name(), value);
                response.setStatus(204);
            }
            case DISPLAY -> {
                byte[] png = host.displayPng(route.uuid());
                response.setStatus(200);
                response.setContentType("image/png");
                response.setContentLength(png.length);
                response.getOutputStream().write(png);
            }
            case DEFINITIONS -> {
                if (route.method().equals("GET")) {
                    json(response, 200, host.definitions());
                } else {
                    JsonNode body = ApiRequests.object(ApiRequests.body(request.getInputStream()),
                            Set.of("parent", "type", "uuid", "auto"));
                    UUID defined = host.define(ApiRequests.optionalUuid(body, "uuid"), ApiRequests.requiredName(body, "parent"),
                            ApiRequests.requiredName(body, "type"), ApiRequests.optionalBoolean(body, "auto"));
                    json(response, 201, Map.of("uuid", defined.toString()));
                }
            }
            case DEFINITION -> {
                host.undefine(route.uuid());
                response.setStatus(204);
            }
            case DEFINITION_START -> {
                host.start(route.uuid());
                response.setStatus(204);
            }
            case DEVICE_STOP -> {
                host.stop(route.uuid());
                response.setStatus(204);
            }
            case BUNDLE_START -> json(response, 200, host.bundle(route.name(), true));
            case BUNDLE_STOP -> json(response, 200, host.bundle(route.name(), false));
        }
    }

    private static void json(HttpServletResponse response, int status, Object value) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        JSON.writeValue(response.getOutputStream(), value);
    }

    private static void error(HttpServletResponse response, int status, String errno, String message) throws IOException {
        json(response, status, Map.of("errno", errno, "message", message));
    }
}
