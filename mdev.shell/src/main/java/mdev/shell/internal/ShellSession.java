package mdev.shell.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.apache.felix.service.command.CommandSession;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VmAddressSpace;

/**
 * What one shell session holds, as a process holds its memory and fds: VM address spaces by
 * name, the file table, open containers, groups and device files, and interrupt eventfds.
 */
final class ShellSession {
    private static final String KEY = "mdev.shell.session";

    final FileTable files = new FileTable();
    final Map<String, VmAddressSpace> vms = new LinkedHashMap<>();
    final Map<UUID, VfioDeviceFile> devices = new LinkedHashMap<>();
    /** Open groups by group number. */
    final Map<Integer, VfioGroup> groups = new LinkedHashMap<>();
    /** Interrupt eventfds by "uuid/irq-index". */
    final Map<String, EventFd> eventFds = new LinkedHashMap<>();

    static ShellSession of(CommandSession session) {
        synchronized (session) {
            ShellSession s = (ShellSession) session.get(KEY);
            if (s == null) {
                s = new ShellSession();
                session.put(KEY, s);
            }
            return s;
        }
    }

    VmAddressSpace vm(String name) {
        VmAddressSpace vm = vms.get(name);
        if (vm == null) {
            throw new ErrnoException(Errno.ENOENT, "no VM '" + name + "' in this session (vm:create it)");
        }
        return vm;
    }

    VfioContainer container(String fd) {
        return files.get(Args.intIn(fd, "container fd", 0, Integer.MAX_VALUE), VfioContainer.class);
    }

    VfioDeviceFile device(String uuid) {
        UUID id = Args.uuid(uuid);
        VfioDeviceFile file = devices.get(id);
        if (file == null) {
            throw new ErrnoException(Errno.EBADF, "device " + id + " is not open in this session (vfio:open it)");
        }
        return file;
    }
}
