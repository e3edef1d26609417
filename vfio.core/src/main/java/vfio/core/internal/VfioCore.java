package vfio.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDevice;
import vfio.core.VfioGroup;
import vfio.core.VfioGroupRegistration;
import vfio.core.VfioIommuDriver;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;

/**
 * VFIO itself (drivers/vfio/vfio.c): the groups class drivers add, the containers users open,
 * and the IOMMU drivers that arrive as services.
 *
 * <p>Lock order: a group's monitor, then a container's lock, then the IOMMU backend's own
 * locks. {@code registry} (this class's maps) is innermost and held only to read or change
 * them. The bus lock of mdev.core and a device's guard in vfio.mdev come before all of these.
 */
@Component(service = VfioService.class, immediate = true)
public final class VfioCore implements VfioService {
    private final Object registry = new Object();
    /** Guarded by registry. */
    private final Map<Integer, GroupImpl> groups = new TreeMap<>();
    /** Guarded by registry. */
    private int nextGroupId;
    /** IOMMU drivers in arrival order; guarded by registry. */
    private final Map<VfioIommuDriver, Boolean> drivers = new LinkedHashMap<>();
    private final Set<ContainerImpl> containers = ConcurrentHashMap.newKeySet();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindIommuDriver(VfioIommuDriver driver) {
        synchronized (registry) {
            drivers.put(driver, Boolean.TRUE);
        }
    }

    void unbindIommuDriver(VfioIommuDriver driver) {
        synchronized (registry) {
            drivers.remove(driver);
        }
        for (ContainerImpl container : containers) {
            container.driverGone(driver);
        }
    }

    List<VfioIommuDriver> drivers() {
        synchronized (registry) {
            return new ArrayList<>(drivers.keySet());
        }
    }

    void forget(ContainerImpl container) {
        containers.remove(container);
    }

    @Override
    public VfioContainer openContainer(VmAddressSpace vm, FileTable files) {
        if (vm == null || files == null) {
            throw new ErrnoException(Errno.EINVAL, "a container needs a VM and a file table");
        }
        ContainerImpl container = new ContainerImpl(this, vm, files);
        containers.add(container);
        return container;
    }

    @Override
    public VfioGroup openGroup(int groupId, FileTable files) {
        if (files == null) {
            throw new ErrnoException(Errno.EINVAL, "a group needs a file table");
        }
        GroupImpl group;
        synchronized (registry) {
            group = groups.get(groupId);
        }
        if (group == null) {
            throw new ErrnoException(Errno.ENOENT, "no IOMMU group " + groupId);
        }
        return group.open(files);
    }

    @Override
    public List<Integer> groups() {
        synchronized (registry) {
            return List.copyOf(groups.keySet());
        }
    }

    @Override
    public int groupOf(String deviceName) {
        synchronized (registry) {
            for (GroupImpl group : groups.values()) {
                if (group.device.name().equals(deviceName)) {
                    return group.id;
                }
            }
        }
        throw new ErrnoException(Errno.ENODEV, "no group holds device " + deviceName);
    }

    @Override
    public VfioGroupRegistration addGroupDevice(VfioDevice device) {
        GroupImpl group;
        synchronized (registry) {
            group = new GroupImpl(nextGroupId++, device);
            groups.put(group.id, group);
        }
        return new VfioGroupRegistration() {
            @Override
            public int groupId() {
                return group.id;
            }

            @Override
            public void remove() {
                synchronized (registry) {
                    groups.remove(group.id);
                }
                group.remove();
            }
        };
    }

    /** VFIO goes away: every group leaves, every container lets its IOMMU go. */
    @Deactivate
    void deactivate() {
        List<GroupImpl> all;
        synchronized (registry) {
            all = new ArrayList<>(groups.values());
            groups.clear();
            drivers.clear();
        }
        for (GroupImpl group : all) {
            group.remove();
        }
        for (ContainerImpl container : containers) {
            container.driverGone(null);
        }
        containers.clear();
    }
}
