package mdev.itest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.MdevBus;

/** Base of the integration tests: the framework, the bus, and a clean state around each test. */
abstract class BusTest {
    @InjectBundleContext
    BundleContext context;

    @InjectService
    MdevBus bus;

    @BeforeEach
    @AfterEach
    void clean() {
        Fixture.reset(context);
    }
}
