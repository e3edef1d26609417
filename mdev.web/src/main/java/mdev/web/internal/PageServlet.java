package mdev.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The page: {@code /mdev/} (index.html), {@code /mdev/app.js} and {@code /mdev/style.css} from the
 * bundle, with a content security policy that lets the page load only its own script, styles and
 * images (so nothing a device name could carry runs).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/mdev/*")
public final class PageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html", "/app.js", "app.js", "/style.css", "style.css");
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html;charset=utf-8", "app.js", "text/javascript;charset=utf-8",
            "style.css", "text/css;charset=utf-8");

    private final transient WebSettings settings;

    @Activate
    public PageServlet(@Reference WebSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!settings.access().hostAllowed(request.getHeader("Host"))) {
            response.sendError(421, "host not served here");
            return;
        }
        // the API's longer pattern (/mdev/api/*) takes its requests; this servlet has the rest of /mdev
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        if (path.isEmpty()) {
            response.sendRedirect("/mdev/");
            return;
        }
        String file = FILES.get(path);
        if (file == null) {
            response.sendError(404);
            return;
        }
        response.setHeader("Content-Security-Policy", POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Cache-Control", "no-cache");
        response.setContentType(TYPES.get(file));
        try (InputStream in = PageServlet.class.getResourceAsStream("/web/" + file)) {
            if (in == null) {
                response.sendError(500, "the bundle lacks " + file);
                return;
            }
            in.transferTo(response.getOutputStream());
        }
    }
}
