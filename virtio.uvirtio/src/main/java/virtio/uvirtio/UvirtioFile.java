package virtio.uvirtio;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open {@code /dev/uvirtio}. In state NEW it takes UV_DEV_EXPECT (any number of times; each
 * replaces the expectations before it) and UV_DEV_CREATE; once created every ioctl answers
 * EINVAL. Closing it removes the device unless it was created with STICK.
 */
@ProviderType
public interface UvirtioFile extends AutoCloseable {
    /** The raw ioctl: {@code arg} holds the struct; its pointers are in the process's memory. */
    long ioctl(int cmd, ByteBuffer arg);

    void expect(UvirtioExpect expect);

    /** Creates the device; returns its name on the virtio bus. */
    String create(UvirtioSetup setup);

    /** The created device's name, or null before UV_DEV_CREATE. */
    String device();

    @Override
    void close();
}
