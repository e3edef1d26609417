package samples.mvnet.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import virtio.core.DescriptorChain;
import virtio.core.Virtio;
import virtio.core.VirtioDeviceBase;
import virtio.core.Virtqueue;

/**
 * A virtio-net device that loops every frame sent on its TX queue back to its RX queue (the
 * mvnet sample of the virtio-mdev series). Queue 0 is RX, queue 1 TX; every buffer starts
 * with the 12-byte virtio_net_hdr (VERSION_1 layout), all zeros here.
 */
final class MvnetDevice extends VirtioDeviceBase {
    static final int RX = 0;
    static final int TX = 1;
    static final int NET_HDR_SIZE = 12;
    static final int MAX_FRAME = 1514;
    static final int VIRTIO_NET_F_MTU = 3;
    static final int VIRTIO_NET_F_MAC = 5;
    static final int VIRTIO_NET_F_STATUS = 16;
    static final int VIRTIO_NET_S_LINK_UP = 1;
    /** Frames waiting for RX buffers, at most this many; more are dropped, as a NIC does. */
    static final int BACKLOG = 64;
    static final int QUEUE_NUM_MAX = 256;

    private final ArrayDeque<byte[]> backlog = new ArrayDeque<>();
    private final ByteBuffer frame = ByteBuffer.allocate(NET_HDR_SIZE + MAX_FRAME);
    private long dropped;

    MvnetDevice(byte[] mac) {
        super(Virtio.ID_NET, 0x1af4, Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(VIRTIO_NET_F_MAC)
                | Virtio.bit(VIRTIO_NET_F_MTU) | Virtio.bit(VIRTIO_NET_F_STATUS), 2, QUEUE_NUM_MAX, config(mac));
    }

    /** struct virtio_net_config: mac[6], le16 status, le16 max_virtqueue_pairs, le16 mtu. */
    private static byte[] config(byte[] mac) {
        ByteBuffer c = ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        c.put(mac).putShort((short) VIRTIO_NET_S_LINK_UP).putShort((short) 1).putShort((short) 1500);
        return c.array();
    }

    @Override
    protected void onKick(int index, Virtqueue vq) {
        if (index == TX) {
            for (DescriptorChain chain = vq.pop(); chain != null; chain = vq.pop()) {
                frame.clear();
                int n = chain.read(frame);
                vq.push(chain, 0);
                if (n > NET_HDR_SIZE) {
                    byte[] copy = new byte[n];
                    frame.flip().get(copy);
                    loopBack(copy);
                }
            }
            notifyUsed(TX);
        }
        deliver();
    }

    private void loopBack(byte[] bufferWithHeader) {
        if (backlog.size() >= BACKLOG) {
            dropped++;
            return;
        }
        backlog.add(bufferWithHeader);
    }

    /** Moves waiting frames into RX buffers the driver has made available. */
    private void deliver() {
        Virtqueue rx = queue(RX);
        if (rx == null) {
            return;
        }
        boolean delivered = false;
        while (!backlog.isEmpty()) {
            DescriptorChain chain = rx.pop();
            if (chain == null) {
                break;
            }
            byte[] next = backlog.poll();
            int written = chain.write(ByteBuffer.wrap(next));
            rx.push(chain, written);
            delivered = true;
        }
        if (delivered) {
            notifyUsed(RX);
        }
    }

    @Override
    protected void onReset() {
        backlog.clear();
    }

    synchronized long dropped() {
        return dropped;
    }
}
