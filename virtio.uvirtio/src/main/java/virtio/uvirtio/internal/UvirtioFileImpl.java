package virtio.uvirtio.internal;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.uvirtio.UvirtioCodec;
import virtio.uvirtio.UvirtioExpect;
import virtio.uvirtio.UvirtioFile;
import virtio.uvirtio.UvirtioSetup;

/**
 * An open /dev/uvirtio (struct uvirtio_device): NEW until UV_DEV_CREATE succeeds, then
 * CREATED, when every ioctl answers EINVAL. A second UV_DEV_EXPECT replaces the first (the
 * seed leaked the first's data); a failed one leaves the previous expectations in place.
 */
final class UvirtioFileImpl implements UvirtioFile {
    private final UvirtioService service;
    private final VmAddressSpace process;
    private UvirtioExpect expect = new UvirtioExpect(java.util.List.of());
    private String device;
    private boolean stick;
    private boolean closed;

    UvirtioFileImpl(UvirtioService service, VmAddressSpace process) {
        this.service = service;
        this.process = process;
    }

    private void requireNew() {
        if (closed) {
            throw new ErrnoException(Errno.EBADF, "uvirtio file is closed");
        }
        if (device != null) {
            throw new ErrnoException(Errno.EINVAL, "device " + device + " is created: no more ioctls");
        }
    }

    @Override
    public synchronized long ioctl(int cmd, ByteBuffer arg) {
        requireNew();
        if (cmd == UvirtioCodec.UV_DEV_EXPECT) {
            expect(UvirtioCodec.decodeExpect(arg, process));
            return 0;
        }
        if (cmd == UvirtioCodec.UV_DEV_CREATE) {
            create(UvirtioCodec.decodeSetup(arg, process));
            return 0;
        }
        throw new ErrnoException(Errno.EINVAL, "unknown uvirtio ioctl 0x" + Integer.toHexString(cmd));
    }

    @Override
    public synchronized void expect(UvirtioExpect newExpect) {
        requireNew();
        UvirtioCodec.check(newExpect);
        expect = newExpect;
    }

    @Override
    public synchronized String create(UvirtioSetup setup) {
        requireNew();
        UvirtioCodec.check(setup);
        if ((setup.features() & Virtio.bit(Virtio.F_VERSION_1)) == 0) {
            throw new ErrnoException(Errno.EINVAL, "features 0x" + Long.toHexString(setup.features())
                    + " lack VERSION_1: devices here are virtio 1.x");
        }
        UvirtioDevice created = new UvirtioDevice(service.nextName(), setup, expect);
        service.register(created);
        device = created.name();
        stick = setup.stick();
        return device;
    }

    @Override
    public synchronized String device() {
        return device;
    }

    /** uvirtio_release: the device goes with the file unless it STICKs. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (device != null && !stick) {
            service.unregister(device);
        }
    }
}
