package virtio.uvirtio;

import org.osgi.annotation.versioning.ProviderType;

import vfio.core.VmAddressSpace;

/** The {@code /dev/uvirtio} misc device. */
@ProviderType
public interface Uvirtio {
    /** open("/dev/uvirtio") by a process whose memory the ioctls' pointers refer to. */
    UvirtioFile open(VmAddressSpace process);

    /** Names of the devices created through uvirtio that are on the bus now. */
    java.util.List<String> devices();

    /** Removes a STICK device left behind by a closed file; ENODEV if there is none of that name. */
    void remove(String device);
}
