package virtio.uvirtio;

/**
 * {@code struct uvirtio_setup}: the device's features (VERSION_1 required here), its config
 * space (1..1024 bytes), whether it STICKs after the file closes, and its virtio device id.
 */
public record UvirtioSetup(long features, byte[] config, boolean stick, int id) {
    public UvirtioSetup {
        config = config.clone();
    }

    @Override
    public byte[] config() {
        return config.clone();
    }
}
