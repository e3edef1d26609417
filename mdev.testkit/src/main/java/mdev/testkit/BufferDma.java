package mdev.testkit;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioDma;
import vfio.core.VfioDmaUnmapListener;

/**
 * A device's DMA for unit tests of vendors: guest memory is one buffer mapped at IOVA 0, read
 * and written in place (EFAULT outside it); pinning is not supported. Subclass it to translate
 * PASID-tagged requests.
 */
public class BufferDma implements VfioDma {
    private final ByteBuffer memory;

    public BufferDma(ByteBuffer memory) {
        this.memory = memory;
    }

    private void check(long iova, int length) {
        if (iova < 0 || iova + length > memory.capacity()) {
            throw new ErrnoException(Errno.EFAULT, "no DMA mapping at iova 0x" + Long.toHexString(iova));
        }
    }

    @Override
    public void read(long iova, ByteBuffer dst) {
        int n = dst.remaining();
        check(iova, n);
        dst.put(dst.position(), memory, (int) iova, n);
        dst.position(dst.position() + n);
    }

    @Override
    public void write(long iova, ByteBuffer src) {
        int n = src.remaining();
        check(iova, n);
        memory.put((int) iova, src, src.position(), n);
        src.position(src.position() + n);
    }

    @Override
    public boolean mapped(long iova, long length) {
        return iova >= 0 && length >= 0 && iova + Math.max(length, 1) <= memory.capacity();
    }

    @Override
    public long[] pinPages(long[] userPfns, int prot) {
        throw new ErrnoException(Errno.EOPNOTSUPP, "no pinning in a buffer's DMA");
    }

    @Override
    public int unpinPages(long[] userPfns) {
        throw new ErrnoException(Errno.EOPNOTSUPP, "no pinning in a buffer's DMA");
    }

    @Override
    public void addUnmapListener(VfioDmaUnmapListener listener) {
    }

    @Override
    public void removeUnmapListener(VfioDmaUnmapListener listener) {
    }
}
