package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.MdevBus;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDeviceFile;

/**
 * The REST API of mdev.web on Felix HTTP (Jetty) in the framework: what it lists, what it
 * changes with the token and refuses without it, errnos as HTTP statuses, requests for another
 * host refused, I/O counters that follow a device's use, and a vendor bundle stopped and started
 * through it taking its devices with it.
 */
class WebIT {
    static final UUID A = UUID.fromString("3eb0c0de-0000-4000-8000-00000000000a");

    @InjectBundleContext
    BundleContext context;
    @InjectService
    MdevBus bus;
    @InjectService(timeout = 10_000)
    HttpServiceRuntime runtime;

    private final HttpClient http = HttpClient.newHttpClient();
    private URI api;
    private String token;

    @BeforeEach
    void endpoint() throws Exception {
        ServiceReference<HttpServiceRuntime> ref = context.getServiceReference(HttpServiceRuntime.class);
        Object endpoint = ref.getProperty("osgi.http.endpoint");
        String first = endpoint instanceof String[] a ? a[0] : endpoint instanceof java.util.Collection<?> c
                ? String.valueOf(c.iterator().next()) : String.valueOf(endpoint);
        api = URI.create(first.endsWith("/") ? first + "mdev/api/" : first + "/mdev/api/");
        Path tokenFile = Path.of(context.getProperty("mdev.web.token.file"));
        Fixture.await("the token file", () -> Files.exists(tokenFile));
        token = Files.readString(tokenFile).strip();
        Fixture.await("the API", () -> get("state").statusCode() == 200);
        bus.devices().stream().filter(d -> d.uuid().equals(A)).findAny().ifPresent(d -> bus.remove(A));
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(api.resolve(path)).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    HttpRequest.Builder authorized(String path) {
        return HttpRequest.newBuilder(api.resolve(path)).header("Authorization", "Bearer " + token);
    }

    @Test
    void listsTheHostAndChangesItOnlyWithTheToken() {
        HttpResponse<String> state = get("state");
        assertThat(state.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(state.body()).contains("\"name\":\"mtty\"", "\"id\":\"mtty-2\"", "\"availableInstances\"",
                "\"bundles\"", "\"sockets\"");

        String create = "{\"parent\":\"mtty\",\"type\":\"mtty-2\",\"uuid\":\"" + A + "\"}";
        HttpResponse<String> refused = send(HttpRequest.newBuilder(api.resolve("devices"))
                .POST(HttpRequest.BodyPublishers.ofString(create)));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("\"errno\":\"EACCES\"", "web-token");
        assertThat(bus.device(A)).isEmpty();

        HttpResponse<String> created = send(authorized("devices").POST(HttpRequest.BodyPublishers.ofString(create)));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/mdev/api/devices/" + A);
        assertThat(created.body()).contains("\"uuid\":\"" + A + "\"", "\"classDriver\":\"vfio\"", "\"bound\":true");
        assertThat(bus.device(A)).isPresent();

        HttpResponse<String> again = send(authorized("devices").POST(HttpRequest.BodyPublishers.ofString(create)));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("\"errno\":\"EEXIST\"");
        assertThat(send(authorized("devices").POST(HttpRequest.BodyPublishers.ofString("{\"parent\":\"mtty\"}")))
                .body()).contains("field 'type' must be given as text");
        assertThat(get("devices/nonsense").statusCode()).isEqualTo(400);
        assertThat(send(authorized("state").DELETE()).statusCode()).isEqualTo(405);

        assertThat(send(authorized("devices/" + A).DELETE()).statusCode()).isEqualTo(204);
        assertThat(bus.device(A)).isEmpty();
        HttpResponse<String> gone = send(authorized("devices/" + A).DELETE());
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).contains("\"errno\":\"ENODEV\"");
    }

    @Test
    void anotherHostIsNotServed() throws Exception {
        int port = api.getPort();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /mdev/api/state HTTP/1.1\r\nHost: rebound.example:" + port + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(reply).startsWith("HTTP/1.1 421").doesNotContain("\"parents\"");
        }
    }

    @Test
    void countersFollowTheDevicesUse() {
        bus.create("mtty", "mtty-1", A);
        try {
            vfio.core.VfioDevice device = Fixture.vfioDevice(context, A);
            try (VfioDeviceFile file = device.open(new FileTable())) {
                for (int i = 0; i < 3; i++) {
                    file.read(ByteBuffer.allocate(2), (long) Vfio.VFIO_PCI_CONFIG_REGION_INDEX << 40);
                }
                HttpResponse<String> seen = get("devices/" + A);
                assertThat(seen.body()).contains("\"openCount\":1", "\"reads\":3");
            }
        } finally {
            bus.remove(A);
        }
    }

    @Test
    void aVendorBundleStoppedThroughTheApiTakesItsDevicesAndComesBack() {
        Bundle mtty = Fixture.bundle(context, "samples.mtty");
        bus.create("mtty", "mtty-1", A);
        try {
            HttpResponse<String> stopped = send(authorized("bundles/samples.mtty/stop")
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(200);
            assertThat(stopped.body()).contains("\"state\":\"resolved\"");
            assertThat(get("devices").body()).doesNotContain(A.toString());
            assertThat(get("parents").body()).doesNotContain("\"mtty\"");
            assertThat(send(authorized("bundles/mdev.web/stop").POST(HttpRequest.BodyPublishers.noBody())).statusCode())
                    .as("the page's own bundle stays").isEqualTo(403);
            HttpResponse<String> started = send(authorized("bundles/" + mtty.getBundleId() + "/start")
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(started.body()).contains("\"state\":\"active\"");
            Fixture.await("mtty back", () -> get("parents").body().contains("\"mtty\""));
        } finally {
            if (mtty.getState() != Bundle.ACTIVE) {
                try {
                    mtty.start();
                } catch (org.osgi.framework.BundleException e) {
                    throw new AssertionError(e);
                }
            }
            Fixture.awaitParent(bus, "mtty");
            if (bus.device(A).isPresent()) {
                bus.remove(A);
            }
        }
    }

    @Test
    void thePageIsServedWithAPolicyThatRunsOnlyItsOwnScript() {
        HttpResponse<String> page = send(HttpRequest.newBuilder(api.resolve("../")).GET());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"/mdev/app.js\"></script>");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                p -> assertThat(p).contains("script-src 'self'", "default-src 'none'"));
        assertThat(send(HttpRequest.newBuilder(api.resolve("../app.js")).GET()).body()).contains("textContent");
    }

    @Test
    void theSameViewIsAWebConsolePlugin() {
        String basic = java.util.Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.US_ASCII));
        URI console = api.resolve("/system/console/mdev");
        Fixture.await("the console plugin", () -> send(HttpRequest.newBuilder(console)
                .header("Authorization", "Basic " + basic).GET()).statusCode() == 200);
        HttpResponse<String> page = send(HttpRequest.newBuilder(console).header("Authorization", "Basic " + basic).GET());
        assertThat(page.body()).contains("Mediated devices", "<div id=\"mdev-host\" data-api=\"/mdev/api\"></div>",
                "<script src=\"/mdev/app.js\"></script>");
    }
}
