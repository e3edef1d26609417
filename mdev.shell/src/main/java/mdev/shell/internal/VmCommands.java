package mdev.shell.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/** {@code vm:*}: VM address spaces (the memory a VMM maps for DMA) in this session. */
@Component(service = VmCommands.class, property = {
        "osgi.command.scope=vm",
        "osgi.command.function=create",
        "osgi.command.function=alloc",
        "osgi.command.function=list",
        "osgi.command.function=poke",
        "osgi.command.function=peek",
        "osgi.command.function=pokeq",
        "osgi.command.function=peekq" })
public final class VmCommands {

    @Descriptor("create a VM address space")
    public void create(CommandSession session, @Descriptor("VM name") String name) {
        ShellSession s = ShellSession.of(session);
        if (s.vms.containsKey(name)) {
            throw new ErrnoException(Errno.EEXIST, "VM '" + name + "' exists");
        }
        s.vms.put(name, new VmAddressSpace(name));
        System.out.println("vm " + name);
    }

    @Descriptor("map zeroed memory into a VM at a virtual address")
    public void alloc(CommandSession session, @Descriptor("VM name") String name,
            @Descriptor("virtual address") String vaddr, @Descriptor("size in bytes") String size) {
        ShellSession.of(session).vm(name).allocate(Args.unsigned(vaddr, "vaddr"), Args.unsigned(size, "size"));
    }

    @Descriptor("list the VMs and their memory")
    public void list(CommandSession session) {
        ShellSession.of(session).vms.forEach((name, vm) -> {
            System.out.println(name);
            for (VmAddressSpace.Region r : vm.regions()) {
                System.out.printf("  0x%x-0x%x (0x%x bytes)%n", r.vaddr(), r.vaddr() + r.size() - 1, r.size());
            }
        });
    }

    @Descriptor("write text into VM memory")
    public void poke(CommandSession session, @Descriptor("VM name") String name,
            @Descriptor("virtual address") String vaddr, @Descriptor("text") String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        ShellSession.of(session).vm(name).view(Args.unsigned(vaddr, "vaddr"), bytes.length).put(bytes);
    }

    @Descriptor("read VM memory; prints it as text")
    public void peek(CommandSession session, @Descriptor("VM name") String name,
            @Descriptor("virtual address") String vaddr, @Descriptor("number of bytes") String count) {
        ByteBuffer view = ShellSession.of(session).vm(name).view(Args.unsigned(vaddr, "vaddr"), Args.count(count));
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        System.out.println(new String(bytes, StandardCharsets.ISO_8859_1));
    }

    @Descriptor("write 64-bit little-endian words into VM memory (page-table entries, descriptors)")
    public void pokeq(CommandSession session, @Descriptor("VM name") String name,
            @Descriptor("virtual address") String vaddr, @Descriptor("words, e.g. 0x11003") String... words) {
        if (words.length == 0) {
            throw new ErrnoException(Errno.EINVAL, "usage: vm:pokeq <vm> <vaddr> <u64>...");
        }
        ByteBuffer view = ShellSession.of(session).vm(name).view(Args.unsigned(vaddr, "vaddr"), 8L * words.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long[] values = new long[words.length];
        for (int i = 0; i < words.length; i++) {
            values[i] = Args.u64(words[i], "word " + i);
        }
        for (long value : values) {
            view.putLong(value);
        }
    }

    @Descriptor("read 64-bit little-endian words of VM memory; prints them in hex")
    public String peekq(CommandSession session, @Descriptor("VM name") String name,
            @Descriptor("virtual address") String vaddr, @Descriptor("number of words (default 1)") String... count) {
        int n = count.length == 0 ? 1 : Args.count(count[0]);
        ByteBuffer view = ShellSession.of(session).vm(name).view(Args.unsigned(vaddr, "vaddr"), 8L * n)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < n; i++) {
            words.append(i == 0 ? "" : " ").append(String.format("0x%x", view.getLong()));
        }
        return words.toString();
    }
}
