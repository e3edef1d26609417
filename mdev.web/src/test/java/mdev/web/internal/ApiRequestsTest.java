package mdev.web.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;

class ApiRequestsTest {
    static final String U = "5e1ec7ed-0000-4000-8000-0000000000aa";

    @Test
    void routesNameKnownResourcesWithWellFormedIds() {
        assertThat(ApiRequests.route("GET", "/state").kind()).isEqualTo(ApiRequests.Kind.STATE);
        assertThat(ApiRequests.route("GET", "/devices/").kind()).isEqualTo(ApiRequests.Kind.DEVICES);
        ApiRequests.Route remove = ApiRequests.route("DELETE", "/devices/" + U);
        assertThat(remove.uuid()).isEqualTo(UUID.fromString(U));
        assertThat(remove.changes()).isTrue();
        assertThat(ApiRequests.route("PUT", "/devices/" + U + "/attributes/assign_adapter").name()).isEqualTo("assign_adapter");
        assertThat(ApiRequests.route("POST", "/bundles/samples.mtty/stop").kind()).isEqualTo(ApiRequests.Kind.BUNDLE_STOP);
        assertThat(ApiRequests.route("POST", "/definitions/" + U + "/start").kind())
                .isEqualTo(ApiRequests.Kind.DEFINITION_START);
        assertThat(ApiRequests.route("GET", "/devices/" + U + "/display.png").changes()).isFalse();
    }

    @Test
    void malformedOrUnknownPathsAreRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> ApiRequests.route("GET", "/devices/not-a-uuid"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
                .hasMessage("'not-a-uuid' is not a UUID");
        assertThatThrownBy(() -> ApiRequests.route("GET", "/nothing"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThatThrownBy(() -> ApiRequests.route("GET", "/"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThatThrownBy(() -> ApiRequests.route("DELETE", "/state")).isInstanceOf(ApiRequests.MethodNotAllowed.class)
                .hasMessage("DELETE is not allowed on /state; it takes GET");
        assertThatThrownBy(() -> ApiRequests.route("PUT", "/devices/" + U + "/attributes/a b"))
                .hasMessageContaining("attribute name 'a b' is not");
        assertThatThrownBy(() -> ApiRequests.route("GET", "/devices/\u0001<script>"))
                .hasMessage("'\\x01<script>' is not a UUID");
    }

    @Test
    void bodiesAreBoundedObjectsOfKnownFields() throws Exception {
        var body = ApiRequests.object("{\"parent\":\"mtty\",\"type\":\"mtty-1\"}", Set.of("parent", "type", "uuid"));
        assertThat(ApiRequests.requiredName(body, "parent")).isEqualTo("mtty");
        assertThat(ApiRequests.optionalUuid(body, "uuid")).isNull();
        assertThatThrownBy(() -> ApiRequests.object("{\"parent\":\"mtty\",\"colour\":1}", Set.of("parent", "type")))
                .hasMessage("unknown field 'colour'; the fields are parent, type");
        assertThatThrownBy(() -> ApiRequests.object("[1]", Set.of("parent"))).hasMessage("request body must be a JSON object");
        assertThatThrownBy(() -> ApiRequests.object("{", Set.of("parent"))).hasMessageStartingWith("request body is not JSON");
        assertThatThrownBy(() -> ApiRequests.requiredName(ApiRequests.object("{\"parent\":3}", Set.of("parent")), "parent"))
                .hasMessage("field 'parent' must be given as text");
        assertThatThrownBy(() -> ApiRequests.optionalBoolean(ApiRequests.object("{\"auto\":\"yes\"}", Set.of("auto")), "auto"))
                .hasMessage("field 'auto' must be true or false");
        byte[] big = new byte[ApiRequests.MAX_BODY + 1];
        assertThatThrownBy(() -> ApiRequests.body(new ByteArrayInputStream(big)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.E2BIG));
    }

    @Test
    void errnosMapToHttpStatuses() {
        assertThat(HttpErrors.status(Errno.ENODEV)).isEqualTo(404);
        assertThat(HttpErrors.status(Errno.EBUSY)).isEqualTo(409);
        assertThat(HttpErrors.status(Errno.EEXIST)).isEqualTo(409);
        assertThat(HttpErrors.status(Errno.EINVAL)).isEqualTo(400);
        assertThat(HttpErrors.status(Errno.EPERM)).isEqualTo(403);
        assertThat(HttpErrors.status(Errno.ENOSPC)).isEqualTo(507);
        assertThat(HttpErrors.status(Errno.EIO)).isEqualTo(500);
    }
}
