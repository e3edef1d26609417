package mdev.web.internal;

import java.io.IOException;
import java.io.PrintWriter;

import org.osgi.service.component.annotations.Component;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The same view inside the Apache Felix Web Console (a plain-servlet plugin: the console draws
 * its frame and this servlet the content), for users who run the console. The page's script
 * reads the REST API as on {@code /mdev/}.
 */
@Component(service = Servlet.class, property = {
        "felix.webconsole.label=mdev",
        "felix.webconsole.title=Mediated devices",
        "felix.webconsole.category=mdev-osgi" })
public final class ConsolePlugin extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/html;charset=utf-8");
        PrintWriter out = response.getWriter();
        out.println("<link rel=\"stylesheet\" href=\"/mdev/style.css\">");
        out.println("<div id=\"mdev-host\" data-api=\"/mdev/api\"></div>");
        out.println("<script src=\"/mdev/app.js\"></script>");
    }
}
