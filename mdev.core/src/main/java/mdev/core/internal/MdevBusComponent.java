package mdev.core.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import mdev.core.MdevAttribute;
import mdev.core.MdevBus;
import mdev.core.MdevBusListener;
import mdev.core.MdevClassDriver;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.log.Logs;

/**
 * The bus as a DS component: parents and class drivers arrive as services (whiteboard), and
 * each device is published as an {@link MdevDevice} service.
 */
@Component(service = MdevBus.class, immediate = true)
public final class MdevBusComponent extends MdevBusCore {

    @Activate
    public MdevBusComponent(BundleContext context) {
        super(new ServicePublisher(context));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindParent(MdevParent parent) {
        addParent(parent);
    }

    void unbindParent(MdevParent parent) {
        removeParent(parent);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindClassDriver(MdevClassDriver driver, Map<String, Object> properties) {
        Object id = properties.get(MdevConstants.CLASS_ID);
        try {
            addClassDriver(id instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(id)), driver);
        } catch (NumberFormatException e) {
            Logs.of(MdevBusComponent.class).log(System.Logger.Level.WARNING,
                    "class driver without a numeric " + MdevConstants.CLASS_ID + " ignored: " + id);
        }
    }

    void unbindClassDriver(MdevClassDriver driver) {
        removeClassDriver(driver);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = "(" + MdevConstants.CLASS_ID + "=*)")
    void bindClassAttribute(MdevAttribute attribute, Map<String, Object> properties) {
        Object id = properties.get(MdevConstants.CLASS_ID);
        try {
            addClassAttribute(id instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(id)), attribute);
        } catch (NumberFormatException e) {
            Logs.of(MdevBusComponent.class).log(System.Logger.Level.WARNING,
                    "device attribute without a numeric " + MdevConstants.CLASS_ID + " ignored: " + id);
        }
    }

    void unbindClassAttribute(MdevAttribute attribute) {
        removeClassAttribute(attribute);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindListener(MdevBusListener listener) {
        addListener(listener);
    }

    void unbindListener(MdevBusListener listener) {
        removeListener(listener);
    }

    @Deactivate
    void deactivate() {
        shutdown();
    }

    private record ServicePublisher(BundleContext context) implements DevicePublisher {
        @Override
        public Object publish(MdevDeviceImpl device) {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(MdevConstants.UUID, device.uuid().toString());
            props.put(MdevConstants.PARENT, device.parent());
            props.put(MdevConstants.TYPE, device.type());
            props.put(MdevConstants.CLASS_ID, device.classId());
            return context.registerService(MdevDevice.class, device, props);
        }

        @Override
        public void unpublish(Object token) {
            try {
                ((ServiceRegistration<?>) token).unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it when this bundle stopped
            }
        }
    }
}
