package vfio.core;

/** {@code struct vfio_irq_info}: what VFIO_DEVICE_GET_IRQ_INFO reports for one irq index. */
public record VfioIrqInfo(int index, int flags, int count) {
}
