package samples.mvnet.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import samples.mvnet.NetInterface;
import virtio.core.GuestVirtqueue;
import virtio.core.VirtioGuestDevice;

/**
 * One bound virtio-net device: RX kept full of buffers, TX used buffers reclaimed, frames
 * received queued for {@link #receive}. Its monitor guards both queues; device callbacks come
 * in on the thread that kicked, after the device has released its own lock.
 */
final class NetInterfaceImpl implements NetInterface {
    private static final int RX_BUFFER = MvnetDevice.NET_HDR_SIZE + MvnetDevice.MAX_FRAME;

    private final VirtioGuestDevice device;
    private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final byte[] mac = new byte[6];
    private GuestVirtqueue rx;
    private GuestVirtqueue tx;
    private volatile boolean gone;
    private long sent;

    NetInterfaceImpl(VirtioGuestDevice device) {
        this.device = device;
    }

    synchronized void start() {
        device.readConfig(0, ByteBuffer.wrap(mac));
        List<GuestVirtqueue> queues = device.findVqs(List.of("input", "output"), List.of(this::onRx, this::onTx));
        rx = queues.get(MvnetDevice.RX);
        tx = queues.get(MvnetDevice.TX);
        for (int i = 0; i < rx.size(); i++) {
            rx.add(List.of(), List.of(RX_BUFFER), i);
        }
        device.driverOk();
        rx.kick();
    }

    void stop() {
        gone = true;
    }

    private void onRx() {
        synchronized (this) {
            for (GuestVirtqueue.UsedBuffer used = rx.poll(); used != null; used = rx.poll()) {
                if (used.length() > MvnetDevice.NET_HDR_SIZE) {
                    received.add(Arrays.copyOfRange(used.written(), MvnetDevice.NET_HDR_SIZE, used.length()));
                }
                rx.add(List.of(), List.of(RX_BUFFER), used.token());
            }
        }
        try {
            rx.kick();
        } catch (ErrnoException deviceGone) {
            // the device went while frames were coming in; remove() follows
        }
    }

    private synchronized void onTx() {
        while (tx.poll() != null) {
            // the device is done with it
        }
    }

    @Override
    public String device() {
        return device.name();
    }

    @Override
    public byte[] mac() {
        return mac.clone();
    }

    @Override
    public void send(byte[] frame) {
        if (gone) {
            throw new ErrnoException(Errno.ENODEV, "network device " + device.name() + " has gone");
        }
        if (frame.length == 0 || frame.length > MvnetDevice.MAX_FRAME) {
            throw new ErrnoException(Errno.EINVAL, "frame of " + frame.length + " bytes, not 1.." + MvnetDevice.MAX_FRAME);
        }
        ByteBuffer buffer = ByteBuffer.allocate(MvnetDevice.NET_HDR_SIZE + frame.length);
        buffer.position(MvnetDevice.NET_HDR_SIZE);
        buffer.put(frame).flip();
        synchronized (this) {
            onTx();
            tx.add(List.of(buffer), List.of(), ++sent);
        }
        tx.kick();
    }

    @Override
    public byte[] receive(long timeout, TimeUnit unit) throws InterruptedException {
        return received.poll(timeout, unit);
    }
}
