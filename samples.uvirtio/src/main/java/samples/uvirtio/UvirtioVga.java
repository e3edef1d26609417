package samples.uvirtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.uvirtio.Uvirtio;
import virtio.uvirtio.UvirtioCodec;
import virtio.uvirtio.UvirtioFile;

/**
 * samples/uvirtio/uvirtio-vga.c of seed 004, as a process would run it: it lays out in its own
 * memory a GET_DISPLAY_INFO command to expect, a display mode to reply with, the
 * uvirtio_expect and uvirtio_setup structs, then issues UV_DEV_EXPECT and UV_DEV_CREATE
 * (STICK, so the device stays after the file closes) and closes the file.
 */
public final class UvirtioVga {
    public static final int VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100;
    public static final int VIRTIO_GPU_RESP_OK_DISPLAY_INFO = 0x1101;
    public static final int VIRTIO_GPU_MAX_SCANOUTS = 16;
    /** struct virtio_gpu_ctrl_hdr: le32 type, le32 flags, le64 fence_id, le32 ctx_id, le32 padding. */
    public static final int CTRL_HDR_SIZE = 24;
    /** struct virtio_gpu_display_one: virtio_gpu_rect {x, y, width, height}, le32 enabled, le32 flags. */
    public static final int DISPLAY_ONE_SIZE = 24;
    /** struct virtio_gpu_resp_display_info: the header, then pmodes[16]. */
    public static final int RESP_DISPLAY_INFO_SIZE = CTRL_HDR_SIZE + VIRTIO_GPU_MAX_SCANOUTS * DISPLAY_ONE_SIZE;
    /** struct virtio_gpu_config: events_read, events_clear, num_scanouts, reserved. */
    public static final int GPU_CONFIG_SIZE = 16;

    /** Where the sample keeps its structs in its memory. */
    static final long PROCESS_MEMORY = 0x40_0000L;

    private UvirtioVga() {
    }

    /** Runs the sample in {@code process} with one display of {@code width} x {@code height}; returns the device name. */
    public static String run(Uvirtio uvirtio, VmAddressSpace process, int width, int height) {
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
            throw new ErrnoException(Errno.EINVAL, "display mode " + width + "x" + height + " out of range");
        }
        long cmd = PROCESS_MEMORY;
        long mode = cmd + 0x100;
        long config = mode + 0x100;
        if (!process.contains(cmd, 0x1000)) {
            process.allocate(cmd, 0x1000);
        }
        // cmd.type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO
        process.putInt(cmd, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
        // info.pmodes[0] = {{0, 0, width, height}, enabled 1, flags 0}
        process.write(mode, le(DISPLAY_ONE_SIZE).putInt(8, width).putInt(12, height).putInt(16, 1));
        process.write(config, le(GPU_CONFIG_SIZE).putInt(8, 1));

        ByteBuffer expect = le(UvirtioCodec.EXPECTS_SIZE);
        expect.put(0, "control".getBytes(StandardCharsets.US_ASCII));
        int b0 = UvirtioCodec.EXPECT_BLOCKS;
        expect.putInt(b0 + UvirtioCodec.BLOCK_LEN, CTRL_HDR_SIZE);
        expect.putShort(b0 + UvirtioCodec.BLOCK_FLAGS, (short) Virtio.VRING_DESC_F_NEXT);
        expect.putLong(b0 + UvirtioCodec.BLOCK_DATA, cmd);
        expect.putShort(b0 + UvirtioCodec.BLOCK_RULES, (short) 0);
        expect.putShort(b0 + UvirtioCodec.BLOCK_RULES + 2, (short) 4);
        int b1 = b0 + UvirtioCodec.BLOCK_SIZE;
        expect.putInt(b1 + UvirtioCodec.BLOCK_LEN, RESP_DISPLAY_INFO_SIZE);
        expect.putShort(b1 + UvirtioCodec.BLOCK_FLAGS, (short) Virtio.VRING_DESC_F_WRITE);
        expect.putLong(b1 + UvirtioCodec.BLOCK_DATA, mode);
        expect.putShort(b1 + UvirtioCodec.BLOCK_RULES, (short) CTRL_HDR_SIZE);
        expect.putShort(b1 + UvirtioCodec.BLOCK_RULES + 2, (short) DISPLAY_ONE_SIZE);

        ByteBuffer setup = le(UvirtioCodec.SETUP_SIZE);
        setup.putLong(UvirtioCodec.SETUP_FEATURES, Virtio.bit(Virtio.F_VERSION_1));
        setup.putLong(UvirtioCodec.SETUP_CONFIG_ADDR, config);
        setup.putShort(UvirtioCodec.SETUP_CONFIG_LEN, (short) GPU_CONFIG_SIZE);
        setup.putShort(UvirtioCodec.SETUP_FLAGS, (short) (1 << UvirtioCodec.UVIRTIO_DEV_FLAG_STICK));
        setup.putInt(UvirtioCodec.SETUP_ID, Virtio.ID_GPU);

        try (UvirtioFile file = uvirtio.open(process)) {
            file.ioctl(UvirtioCodec.UV_DEV_EXPECT, expect);
            file.ioctl(UvirtioCodec.UV_DEV_CREATE, setup);
            return file.device();
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
