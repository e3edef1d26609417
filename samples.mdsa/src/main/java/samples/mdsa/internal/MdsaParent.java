package samples.mdsa.internal;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBudget;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import vfio.core.Vfio;

/**
 * The mdsa parent: a Scalable-IOV data-mover whose work queues become mdevs (type
 * {@code mdsa-1dwq}, one queue each, {@value #WORK_QUEUES} in all). Each mdev is
 * IOMMU-backed (mdev_set_iommu_device on the parent's PCI function), so a container gives it
 * an aux domain of that function's IOMMU, and its DMA is PASID-tagged: the path seed 002's
 * vSVA series was written for.
 */
@Component(service = MdevParent.class, property = MdevConstants.PARENT + "=" + MdsaParent.NAME)
public final class MdsaParent implements MdevParent {
    static final String NAME = "mdsa";
    /** The PCI function whose IOMMU isolates the work queues. */
    static final String PHYSICAL_DEVICE = "0000:6a:01.0";
    static final int WORK_QUEUES = 8;

    static final MdevTypeSpec DEDICATED_WQ = new MdevTypeSpec("1dwq", "Dedicated work queue",
            "one work queue of a DSA-like data mover; descriptors are PASID-tagged (vSVA)",
            Vfio.VFIO_DEVICE_API_PCI_STRING);

    private final Map<UUID, MdsaDevice> devices = new ConcurrentHashMap<>();
    private final MdevBudget queues = new MdevBudget(WORK_QUEUES, "work queue(s)");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return List.of(DEDICATED_WQ);
    }

    private static void checkType(MdevTypeSpec type) {
        if (!type.equals(DEDICATED_WQ)) {
            throw new ErrnoException(Errno.EINVAL, "mdsa has no type " + type.name());
        }
    }

    @Override
    public long availableInstances(MdevTypeSpec type) {
        checkType(type);
        return queues.free();
    }

    @Override
    public void create(MdevTypeSpec type, MdevDevice mdev) {
        checkType(type);
        queues.reserve(1, "mdsa-" + type.name());
        try {
            MdsaDevice device = new MdsaDevice(mdev.uuid(), PHYSICAL_DEVICE);
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setIommuDevice(PHYSICAL_DEVICE);
            mdev.setDeviceOps(device);
            devices.put(mdev.uuid(), device);
        } catch (RuntimeException e) {
            queues.release(1);
            throw e;
        }
    }

    @Override
    public void remove(MdevDevice mdev) {
        MdsaDevice device = devices.remove(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.EINVAL, "mdsa has no device " + mdev.uuid());
        }
        device.markRemoved();
        queues.release(1);
    }
}
