package mdev.web.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * Who may do what: any request must name an allowed host (localhost by default, so a page of
 * another site that resolves its name to 127.0.0.1 cannot read the API), and a request that
 * changes something must carry {@code Authorization: Bearer TOKEN}, the token read from a file
 * only the user can read (made 0600 with a random token when missing).
 */
final class WebAccess {
    private static final Set<String> LOCAL = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final Path tokenFile;
    private final byte[] token;
    private final Set<String> allowedHosts;

    WebAccess(Path tokenFile, Set<String> allowedHosts) throws IOException {
        this.tokenFile = tokenFile;
        this.token = readOrCreate(tokenFile).getBytes(StandardCharsets.US_ASCII);
        this.allowedHosts = allowedHosts;
    }

    Path tokenFile() {
        return tokenFile;
    }

    /** The token file's path: configured, else {@code $XDG_STATE_HOME/mdev-osgi/web-token} (~/.local/state by default). */
    static Path tokenFile(String configured) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String state = System.getenv("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() ? Path.of(state)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("mdev-osgi").resolve("web-token");
    }

    private static String readOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (text.length() < 16) {
                throw new IOException(file + " holds no token of 16 characters or more");
            }
            return text;
        }
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String fresh = HexFormat.of().formatHex(random);
        Files.writeString(file, fresh + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return fresh;
    }

    /** Whether the Host header names this host as allowed (its port aside). */
    boolean hostAllowed(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return false;
        }
        String host = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            host = end < 0 ? host : host.substring(0, end + 1);
        } else if (host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        return LOCAL.contains(host) || allowedHosts.contains(host);
    }

    /** Whether an Authorization header carries the token (compared in constant time). */
    boolean authorized(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        byte[] given = authorization.substring("Bearer ".length()).strip().getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(given, token);
    }
}
