package mdev.testreport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The build's last word on tests: how many of each kind ran and passed, read from the JUnit XML
 * reports of the reactor (Surefire's for unit tests, bnd-testing's for the tests inside Felix,
 * Failsafe's for the acceptance tests against the built jar). A kind with no test at all
 * fails the build, since every tool here can report success having run nothing.
 */
public final class TestReport {
    /** One kind of test and where its reports are, relative to the reactor's root. */
    record Kind(String name, String what, String reports) {}

    /** Test cases of one kind, counted from the reports' {@code <testcase>} elements. */
    record Count(int run, int failed, int skipped) {
        int passed() {
            return run - failed - skipped;
        }

        Count plus(Count other) {
            return new Count(run + other.run, failed + other.failed, skipped + other.skipped);
        }
    }

    static final List<Kind> KINDS = List.of(
            new Kind("unit", "Surefire, per module", "glob:*/target/surefire-reports/TEST-*.xml"),
            new Kind("in-framework", "bnd-testing, inside Felix + SCR", "glob:itest/target/test-reports/**.xml"),
            new Kind("acceptance", "Failsafe, the built jar as a user runs it", "glob:distribution/target/failsafe-reports/TEST-*.xml"));

    private TestReport() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toRealPath();
        boolean complete = true;
        System.out.println("Tests of this build:");
        for (Kind kind : KINDS) {
            Count count = count(root, kind.reports());
            System.out.printf("  %-13s %5d run, %5d passed, %d failed, %d skipped  (%s)%n",
                    kind.name(), count.run(), count.passed(), count.failed(), count.skipped(), kind.what());
            if (count.run() == 0 || count.failed() > 0) {
                complete = false;
            }
        }
        if (!complete) {
            System.out.println("test.report: a kind of test ran none, or some failed (see above)");
            System.exit(1);
        }
    }

    static Count count(Path root, String glob) throws Exception {
        var matcher = root.getFileSystem().getPathMatcher(glob);
        Count total = new Count(0, 0, 0);
        try (Stream<Path> files = Files.walk(root, 6)) {
            for (Path file : (Iterable<Path>) files.filter(f -> matcher.matches(root.relativize(f)))::iterator) {
                total = total.plus(countFile(file));
            }
        }
        return total;
    }

    static Count countFile(Path file) throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        factory.setExpandEntityReferences(false);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Element report;
        try (var in = Files.newInputStream(file)) {
            report = factory.newDocumentBuilder().parse(in).getDocumentElement();
        } catch (IOException e) {
            throw new IOException("cannot read test report " + file + ": " + e.getMessage(), e);
        }
        NodeList cases = report.getElementsByTagName("testcase");
        int failed = 0;
        int skipped = 0;
        for (int i = 0; i < cases.getLength(); i++) {
            Element testcase = (Element) cases.item(i);
            if (has(testcase, "failure") || has(testcase, "error")) {
                failed++;
            } else if (has(testcase, "skipped")) {
                skipped++;
            }
        }
        return new Count(cases.getLength(), failed, skipped);
    }

    private static boolean has(Element testcase, String child) {
        return testcase.getElementsByTagName(child).getLength() > 0;
    }
}
